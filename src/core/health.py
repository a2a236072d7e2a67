"""The system-health verdict of contract 8, item by item, as pure data for status and checks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from src.core.jsonio import tail_jsonl
from src.core.paths import Paths
from src.core.procs import pid_alive
from src.core.settings import Settings
from src.core.state import LoadStatus, inspect_state
from src.engine.models import Heartbeat, SupervisorState
from src.uw.flow_cache import FlowCache

RECENT_EVENTS_WINDOW_S = 900.0


@dataclass
class HealthItem:
    name: str
    ok: bool
    detail: str
    required: bool = True


@dataclass
class HealthReport:
    items: list[HealthItem] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(i.ok for i in self.items if i.required)


def _parse_ts(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC).timestamp()
    except ValueError:
        return None


def check_health(settings: Settings, paths: Paths, now: float | None = None) -> HealthReport:
    now = time.time() if now is None else now
    rep = HealthReport()
    sup = inspect_state(paths.supervisor_state, SupervisorState).value
    sup_ok = bool(sup and pid_alive(sup.pid) and not sup.stopping)
    rep.items.append(HealthItem("supervisor running", sup_ok, f"pid {sup.pid if sup else None}"))

    hb_res = inspect_state(paths.heartbeat, Heartbeat)
    hb = hb_res.value
    engine_pid = (sup.engine_pid if sup else None) or (hb.pid if hb else None)
    rep.items.append(HealthItem("engine subprocess running", pid_alive(engine_pid), f"pid {engine_pid}"))
    if hb is None:
        rep.items.append(HealthItem("heartbeat fresh", False, f"heartbeat {hb_res.status.value}: {hb_res.error}"))
    else:
        age = now - hb.ts_epoch
        rep.items.append(
            HealthItem(
                "heartbeat fresh",
                age <= settings.heartbeat_stale_s,
                f"age {age:.1f}s (limit {settings.heartbeat_stale_s:.0f}s), cycle {hb.cycle}, {hb.engine_status}",
            )
        )
    last = tail_jsonl(paths.run_log, 1)
    last_ts = _parse_ts(last[0].get("ts")) if last else None
    run_limit = max(3 * settings.cycle_interval_s, settings.heartbeat_stale_s)
    if last_ts is None:
        rep.items.append(HealthItem("run.jsonl advancing", False, "no cycle line yet"))
    else:
        run_age = now - last_ts
        rep.items.append(
            HealthItem("run.jsonl advancing", run_age <= run_limit, f"last line {run_age:.1f}s ago (cycle {last[0].get('cycle')})")
        )
    cache = inspect_state(paths.uw_flow_cache, FlowCache)
    if cache.status is LoadStatus.ok and cache.value is not None:
        age = cache.value.age_seconds(now)
        detail = f"{len(cache.value.symbols)} symbols, written {'never' if age is None else f'{age:.0f}s ago'}"
        rep.items.append(HealthItem("UW cache readable", True, detail))
    else:
        rep.items.append(HealthItem("UW cache readable", False, f"{cache.status.value} {cache.error}".strip()))
    recent = [
        e
        for e in tail_jsonl(paths.system_events, 500)
        if e.get("severity") in ("error", "critical") and (_parse_ts(e.get("ts")) or 0) >= now - RECENT_EVENTS_WINDOW_S
    ]
    kinds = sorted({str(e.get("event_type")) for e in recent})
    rep.items.append(
        HealthItem(
            "no recent error events",
            not recent,
            f"{len(recent)} in the last {RECENT_EVENTS_WINDOW_S / 60:.0f} min" + (f": {', '.join(kinds[:8])}" if kinds else ""),
            required=False,
        )
    )
    return rep
