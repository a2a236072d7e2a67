"""Pre-open readiness gate (contract 4.17): is the system fit to trade at the open?

Three kinds of check, each with a readable reason when it fails:
1. UW daemon health (`state/uw_daemon_health_state.json`) is present, fresh and not `critical`;
2. every intel artifact needed at the open (universe v2 or v1, premarket intel, regime state,
   daemon health) is present and fresh within the window (default 240 min);
3. `scripts/run_regression_checks.py --json --date D` passes for the previous session D (whose
   telemetry bundle was built after its close); skippable only on request.
The job prints PREOPEN_READY or PREOPEN_NOT_READY, emits `preopen_readiness_ok` or
`preopen_readiness_failed`, and returns ok=False (non-zero exit) when anything failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from src.core.clock import clock_from_env
from src.core.errors import ConfigError
from src.core.events import emit
from src.core.paths import REPO_ROOT, Paths
from src.core.state import LoadStatus, inspect_state
from src.exit.exit_attribution import parse_ts
from src.shadow.config import load_shadow_config

SUBSYSTEM = "readiness"
REGRESSION_SCRIPT = REPO_ROOT / "scripts" / "run_regression_checks.py"
_TS_FIELDS = ("generated_at", "updated_at", "as_of", "ts", "written_at")


class _AnyJson(BaseModel):
    """Any JSON object: readiness only reads others' files, it never heals them."""

    model_config = ConfigDict(extra="allow")


@dataclass
class CheckItem:
    name: str
    ok: bool
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def artifact_timestamp(path: Path, data: dict[str, Any]) -> tuple[datetime | None, str]:
    """When the artifact was produced: its own timestamp field, else the file's mtime."""
    for key in _TS_FIELDS:
        ts = parse_ts(data.get(key))
        if ts is not None:
            return ts, key
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC), "mtime"
    except OSError:
        return None, ""


def check_artifact(name: str, candidates: list[Path], now: datetime, max_age_s: float) -> CheckItem:
    """Passes when any candidate (in order of preference) is valid JSON and fresh."""
    problems: list[str] = []
    for path in candidates:
        item = _check_one(name, path, now, max_age_s)
        if item.ok:
            return item
        problems.append(item.reason)
    return CheckItem(name, False, "; ".join(problems), {"paths": [str(p) for p in candidates]})


def _check_one(name: str, path: Path, now: datetime, max_age_s: float) -> CheckItem:
    res = inspect_state(path, _AnyJson)
    if res.status is LoadStatus.missing:
        return CheckItem(name, False, f"{path.name} missing")
    if res.status is LoadStatus.corrupt or res.value is None:
        return CheckItem(name, False, f"{path.name} is unreadable ({res.error})")
    ts, src = artifact_timestamp(path, res.value.model_dump())
    if ts is None:
        return CheckItem(name, False, f"{path.name} has no usable timestamp")
    age = max(0.0, (now - ts).total_seconds())
    details = {
        "path": str(path),
        "age_minutes": round(age / 60.0, 1),
        "timestamp_field": src,
        "max_age_minutes": round(max_age_s / 60.0, 1),
    }
    if age > max_age_s:
        return CheckItem(
            name, False, f"{path.name} is stale: {age / 60.0:.0f} min old (max {max_age_s / 60.0:.0f} min)", details
        )
    return CheckItem(name, True, "", details)


def check_daemon_status(paths: Paths) -> CheckItem:
    res = inspect_state(paths.uw_daemon_health_state, _AnyJson)
    if res.status is not LoadStatus.ok or res.value is None:
        what = "missing" if res.status is LoadStatus.missing else f"unreadable ({res.error})"
        return CheckItem("daemon_health_status", False, f"daemon health state {what}")
    data = res.value.model_dump()
    status = str(data.get("status") or "unknown").lower()
    if status == "critical":
        reasons = data.get("reasons") if isinstance(data.get("reasons"), list) else []
        why = "; ".join(str(r) for r in reasons[:5]) or "no reason given"
        return CheckItem("daemon_health_status", False, f"UW daemon health is critical: {why}", {"status": status})
    return CheckItem("daemon_health_status", True, "", {"status": status})


def check_regression(day: str, paths: Paths, script: Path, timeout_s: float) -> CheckItem:
    if not script.exists():
        return CheckItem("regression", False, f"regression harness {script.name} not found at {script}")
    env = dict(os.environ, STOCKBOT_HOME=str(paths.root))
    cmd = [sys.executable, str(script), "--json", "--date", day]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=str(REPO_ROOT), env=env)
    except subprocess.TimeoutExpired:
        return CheckItem("regression", False, f"regression checks timed out after {timeout_s:.0f} s")
    except OSError as exc:
        return CheckItem("regression", False, f"regression checks could not start: {exc.strerror or exc}")
    details: dict[str, Any] = {"returncode": proc.returncode}
    summary = _regression_summary(proc.stdout)
    if summary:
        details["summary"] = summary
    if proc.returncode != 0:
        tail = summary or (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        return CheckItem(
            "regression", False, f"regression checks failed (exit {proc.returncode}): {tail}"[:600], details
        )
    return CheckItem("regression", True, "", details)


def _regression_summary(stdout: str) -> Any:
    """The failing checks named by the harness's --json output, when it printed some."""
    try:
        data = json.loads(stdout)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    failed = data.get("failed") or data.get("failures")
    if failed:
        return failed if isinstance(failed, list) else [failed]
    checks = data.get("checks")
    if isinstance(checks, list):
        bad = [
            f"{c.get('name')}: {str(c.get('detail') or '')[:120]}".rstrip(": ")
            for c in checks
            if isinstance(c, dict) and c.get("ok") is False
        ]
        return bad or None
    return None


def previous_trading_day(day: str) -> str:
    """The session before `day`: the one whose telemetry bundle the morning regression checks."""
    from src.core.clock import MarketCalendar

    cal = MarketCalendar()
    d = date.fromisoformat(day)
    for _ in range(14):
        d -= timedelta(days=1)
        if cal.is_trading_day(d):
            return d.isoformat()
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def evaluate(
    day: str,
    paths: Paths,
    now: datetime,
    *,
    max_age_s: float,
    skip_regression: bool,
    regression_script: Path,
    regression_timeout_s: float,
    regression_day: str | None = None,
) -> list[CheckItem]:
    regression_day = regression_day or previous_trading_day(day)
    items = [
        check_daemon_status(paths),
        check_artifact("daemon_health_fresh", [paths.uw_daemon_health_state], now, max_age_s),
        check_artifact("universe", [paths.daily_universe_v2, paths.daily_universe], now, max_age_s),
        check_artifact("premarket_intel", [paths.premarket_intel], now, max_age_s),
        check_artifact("regime_state", [paths.regime_state], now, max_age_s),
    ]
    if skip_regression:
        items.append(CheckItem("regression", True, "skipped (--skip-regression)", {"skipped": True}))
    else:
        items.append(check_regression(regression_day, paths, regression_script, regression_timeout_s))
    return items


def _now(options: dict[str, Any]) -> datetime:
    given = parse_ts(options.get("now"))
    return given if given is not None else clock_from_env().now()


def run_preopen_readiness(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body. options: skip_regression (bool), max_age_minutes, regression_date (default: the previous
    session, whose telemetry bundle exists by the morning), regression_script, now (tests)."""
    options = dict(options or {})
    try:
        cfg = load_shadow_config().readiness
    except ConfigError as err:
        emit(SUBSYSTEM, "preopen_readiness_failed", "error", paths=paths, day=day, failures=[str(err)])
        print(f"config: {err}\nPREOPEN_NOT_READY", flush=True)
        return {"ok": False, "message": str(err), "artifacts": [], "exit_code": 2}
    max_age_s = float(options.get("max_age_minutes") or cfg.max_age_minutes) * 60.0
    script = Path(options.get("regression_script") or REGRESSION_SCRIPT)
    items = evaluate(
        day,
        paths,
        _now(options),
        max_age_s=max_age_s,
        skip_regression=bool(options.get("skip_regression")),
        regression_script=script,
        regression_timeout_s=float(options.get("regression_timeout_s") or cfg.regression_timeout_s),
        regression_day=options.get("regression_date"),
    )
    failed = [i for i in items if not i.ok]
    for i in items:
        print(f"[{'OK ' if i.ok else 'FAIL'}] {i.name}" + (f": {i.reason}" if i.reason else ""), flush=True)
    checks = [asdict(i) for i in items]
    if failed:
        reasons = [f"{i.name}: {i.reason}" for i in failed]
        emit(SUBSYSTEM, "preopen_readiness_failed", "error", paths=paths, day=day, failures=reasons)
        print("PREOPEN_NOT_READY", flush=True)
        return {
            "ok": False,
            "message": "PREOPEN_NOT_READY: " + " | ".join(reasons),
            "artifacts": [],
            "checks": checks,
            "exit_code": 2,
        }
    emit(SUBSYSTEM, "preopen_readiness_ok", "info", paths=paths, day=day, checks=[i.name for i in items])
    print("PREOPEN_READY", flush=True)
    return {"ok": True, "message": "PREOPEN_READY", "artifacts": [], "checks": checks, "exit_code": 0}
