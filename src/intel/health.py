"""Intel health checks and self-healing (contract 4.15).

Every intel artifact is checked for schema (its pydantic model, read without healing, since
the health check owns none of them) and freshness (age of its own timestamp against a
budget that grows over weekends and holidays, when daily jobs do not run). When enabled,
self-heal re-enqueues the job that produces a bad artifact, best-effort: a Redis outage is
recorded in the state file, never raised, and nothing here touches v1 state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from src.core.clock import NY, MarketCalendar
from src.core.events import emit
from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state, save_state
from src.intel.models import (
    ArtifactHealth,
    DaemonHealthState,
    IntelFile,
    IntelHealthState,
    RegimeStateFile,
    SymbolRiskFeaturesFile,
    UwIntelPnlSummary,
)
from src.intel.values import age_seconds, iso, job_now, parse_ts
from src.uw.universe import UniverseFile

HOUR = 3600.0


@dataclass(frozen=True)
class Artifact:
    name: str
    path_attr: str
    model: type[BaseModel]
    max_age_s: float
    producer: str  # job name in src.jobs.registry
    daily: bool = True  # produced once per trading day: weekends/holidays extend the budget
    critical: bool = False  # missing/corrupt makes the whole intel layer critical


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact("core_universe", "core_universe", UniverseFile, 26 * HOUR, "build_daily_universe", critical=True),
    Artifact("daily_universe", "daily_universe", UniverseFile, 26 * HOUR, "build_daily_universe", critical=True),
    Artifact("symbol_risk_features", "symbol_risk_features", SymbolRiskFeaturesFile, 26 * HOUR, "build_daily_universe"),
    Artifact("daily_universe_v2", "daily_universe_v2", UniverseFile, 26 * HOUR, "build_daily_universe"),
    Artifact("premarket_intel", "premarket_intel", IntelFile, 26 * HOUR, "premarket_intel"),
    Artifact("postmarket_intel", "postmarket_intel", IntelFile, 26 * HOUR, "postmarket_intel"),
    Artifact("regime_state", "regime_state", RegimeStateFile, 26 * HOUR, "regime_detector"),
    Artifact("uw_intel_pnl_summary", "uw_intel_pnl_summary", UwIntelPnlSummary, 50 * HOUR, "intel_pnl"),
    Artifact(
        "uw_daemon_health_state",
        "uw_daemon_health_state",
        DaemonHealthState,
        1 * HOUR,
        "daemon_health_check",
        daily=False,
    ),
)


def artifact_timestamp(value: BaseModel) -> Any:
    """When the file was produced: generated_at, else as_of (files differ in which they carry)."""
    for attr in ("generated_at", "as_of"):
        v = getattr(value, attr, None)
        if parse_ts(v) is not None:
            return v
    return None


def closed_days_between(start: date, end: date, calendar: MarketCalendar | None = None) -> int:
    """Non-trading days strictly after start up to end: days daily jobs legitimately skip."""
    cal = calendar or MarketCalendar()
    n, d = 0, start + timedelta(days=1)
    while d <= end and n < 14:
        if not cal.is_trading_day(d):
            n += 1
        d += timedelta(days=1)
    return n


def check_artifact(a: Artifact, path: Path, now: datetime, calendar: MarketCalendar | None = None) -> ArtifactHealth:
    """Pure apart from reading the file: status ok|stale|missing|corrupt with the evidence."""
    h = ArtifactHealth(name=a.name, path=str(path), producer=a.producer, max_age_s=a.max_age_s)
    res = inspect_state(path, a.model)
    if res.status is not LoadStatus.ok or res.value is None:
        h.status, h.error = res.status.value, res.error[:300]
        return h
    stamp = artifact_timestamp(res.value)
    ts = parse_ts(stamp)
    h.as_of = iso(ts)
    h.age_s = age_seconds(stamp, now)
    budget = a.max_age_s
    if a.daily and ts is not None:
        budget += 24 * HOUR * closed_days_between(ts.astimezone(NY).date(), now.astimezone(NY).date(), calendar)
    h.max_age_s = budget
    if h.age_s is None:
        h.status, h.error = "stale", "no usable generated_at/as_of timestamp"
    elif h.age_s > budget:
        h.status = "stale"
    else:
        h.status = "ok"
    return h


def overall_status(results: dict[str, ArtifactHealth]) -> str:
    crit = {a.name for a in ARTIFACTS if a.critical}
    if any(r.status in ("missing", "corrupt") and n in crit for n, r in results.items()):
        return "critical"
    if any(r.status != "ok" for r in results.values()):
        return "degraded"
    return "ok"


def _self_heal(producer: str, day: str, settings: Any, paths: Paths) -> dict[str, Any]:
    """Re-enqueue the producing job for today; every outcome is recorded, nothing raises."""
    try:
        from src.jobs.connection import fail_fast
        from src.jobs.enqueue import enqueue_job

        conn = fail_fast(settings.redis_url, timeout_s=3.0)
        out = enqueue_job(producer, day, {}, connection=conn, settings=settings, source="intel_health", force=True)
        result = {
            "attempted": True,
            "job": producer,
            "enqueued": out.enqueued,
            "job_id": out.job_id,
            "reason": out.reason,
        }
    except Exception as exc:  # noqa: BLE001 - self-heal is best-effort by contract
        result = {"attempted": True, "job": producer, "enqueued": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    emit("intel", "intel_self_heal_attempt", "info" if result.get("enqueued") else "warning", paths=paths, **result)
    return result


def check_all(paths: Paths, now: datetime) -> dict[str, ArtifactHealth]:
    cal = MarketCalendar()
    return {a.name: check_artifact(a, getattr(paths, a.path_attr), now, cal) for a in ARTIFACTS}


def run_intel_health_checks(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: state/intel_health_state.json; options['self_heal'] re-enqueues producers."""
    started = time.monotonic()
    try:
        paths.ensure()
        now = job_now(options)
        results = check_all(paths, now)
        heal = bool(options.get("self_heal"))
        if heal:
            healed: dict[str, dict[str, Any]] = {}
            for r in results.values():
                if r.status == "ok":
                    continue
                if r.producer not in healed:  # one enqueue per job, even if it owns several files
                    healed[r.producer] = _self_heal(r.producer, day, settings, paths)
                r.self_heal = healed[r.producer]
        state = IntelHealthState(
            generated_at=iso(now), overall=overall_status(results), artifacts=results, self_heal_enabled=heal
        )
        save_state(paths.intel_health_state, state)
    except Exception as exc:  # noqa: BLE001 - job bodies report, never raise
        emit("intel", "intel_health_check_failed", "error", paths=paths, day=day, error=repr(exc)[:500])
        return {"ok": False, "message": f"intel health check failed: {exc!r}"[:500], "artifacts": []}
    bad = {n: r.status for n, r in results.items() if r.status != "ok"}
    if bad:
        emit(
            "intel",
            "intel_health_degraded",
            "critical" if state.overall == "critical" else "warning",
            paths=paths,
            overall=state.overall,
            artifacts=bad,
        )
    return {
        "ok": True,
        "message": f"intel health {state.overall}" + (f": {bad}" if bad else ""),
        "artifacts": [str(paths.intel_health_state)],
        "overall": state.overall,
        "elapsed_s": round(time.monotonic() - started, 3),
    }
