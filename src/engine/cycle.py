"""The engine's cycle: read the UW cache, run the named steps, write heartbeat and run.jsonl.

Contract 2.1: nothing inside `run_once()` may end the loop. Each step runs in its own guard,
so one failing step degrades the cycle, lists its error, emits one event, and the next
step still runs. The engine only reads the cache; staleness is reported, never hidden.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.core.clock import Clock, MarketCalendar
from src.core.events import emit, utc_iso
from src.core.jsonio import append_jsonl
from src.core.paths import Paths
from src.core.settings import Settings
from src.core.state import LoadStatus, inspect_state, save_state
from src.engine.models import Heartbeat, RunLine
from src.uw.flow_cache import FlowCache

SUBSYSTEM = "engine"
CACHE_STALE_EVENT_AFTER_S = 900.0


@dataclass
class CycleContext:
    settings: Settings
    paths: Paths
    clock: Clock
    now: datetime
    cycle: int
    market_open: bool = False
    cache: FlowCache | None = None
    counters: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cache_events: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = int(self.counters.get(name, 0)) + n


StepFn = Callable[[CycleContext], None]


@dataclass(frozen=True)
class Step:
    name: str
    fn: StepFn


@dataclass
class CycleResult:
    cycle: int
    engine_status: str
    errors: list[str]
    duration_ms: float
    clusters: int
    cache_events: list[str]
    counters: dict[str, int]


class Engine:
    def __init__(
        self,
        settings: Settings,
        paths: Paths,
        clock: Clock,
        steps: list[Step],
        startup_steps: list[Step] | None = None,
        calendar: MarketCalendar | None = None,
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.clock = clock
        self.steps = list(steps)
        self.startup_steps = list(startup_steps or [])
        self.calendar = calendar or MarketCalendar()
        self.cycle = 0
        self.extras: dict[str, Any] = {}  # survives across cycles (e.g. the broker handle)

    # -- one cycle -------------------------------------------------------------------------
    def _context(self) -> CycleContext:
        now = self.clock.now()
        ctx = CycleContext(self.settings, self.paths, self.clock, now, self.cycle, extras={"engine": self.extras})
        try:
            ctx.market_open = self.calendar.is_open(now)
        except Exception as exc:  # noqa: BLE001 - a calendar failure must not stop the cycle
            self._fail(ctx, "calendar", exc)
        return ctx

    def _fail(self, ctx: CycleContext, step: str, exc: BaseException) -> None:
        msg = f"{step}: {type(exc).__name__}: {exc}"[:500]
        ctx.errors.append(msg)
        emit(
            SUBSYSTEM,
            "engine_step_failed",
            "error",
            paths=self.paths,
            step=step,
            cycle=ctx.cycle,
            error=msg,
            traceback=traceback.format_exc(limit=8)[-2000:],
        )

    def _cache_event(self, ctx: CycleContext, event_type: str, severity: str = "warning", **details: Any) -> None:
        ctx.cache_events.append(event_type)
        emit(
            "uw_cache",
            event_type,
            severity,
            paths=self.paths,
            cycle=ctx.cycle,
            file=str(self.paths.uw_flow_cache),
            **details,
        )  # type: ignore[arg-type]

    def read_cache(self, ctx: CycleContext) -> None:
        result = inspect_state(self.paths.uw_flow_cache, FlowCache)
        if result.status is LoadStatus.missing:
            self._cache_event(ctx, "uw_cache_missing")
            return
        if result.status is LoadStatus.corrupt:
            if result.error == "empty file":
                self._cache_event(ctx, "uw_cache_empty", reason=result.error)
            else:
                self._cache_event(ctx, "uw_cache_corrupt", "error", reason=result.error)
            return
        cache = result.value
        ctx.cache = cache
        if cache is None or not cache.symbols:
            self._cache_event(ctx, "uw_cache_empty", reason="no symbol records")
            return
        age = cache.age_seconds(ctx.now.timestamp())
        if age is None or age > CACHE_STALE_EVENT_AFTER_S:
            self._cache_event(ctx, "uw_cache_stale", age_seconds=age, written_at=cache.meta.written_at)

    def run_once(self) -> CycleResult:
        """One cycle. Never raises (contract 2.1, 7.2)."""
        started = time.perf_counter()
        self.cycle += 1
        ctx = self._context()
        try:
            self.read_cache(ctx)
        except Exception as exc:  # noqa: BLE001
            self._fail(ctx, "read_cache", exc)
        for step in self.steps:
            try:
                step.fn(ctx)
            except Exception as exc:  # noqa: BLE001 - contract 2.1: a step failure degrades, never kills
                self._fail(ctx, step.name, exc)
        clusters = _as_int(ctx.counters.get("clusters"))
        if clusters == 0 and not ctx.cache_events:
            # contract 4.4: clusters 0 is never silent
            self._cache_event(
                ctx, "uw_cache_empty_no_signals", "info", symbols=len(ctx.cache.symbols) if ctx.cache else 0
            )
        duration_ms = round((time.perf_counter() - started) * 1000.0, 3)
        status = "degraded" if ctx.errors else "ok"
        result = CycleResult(
            self.cycle, status, list(ctx.errors), duration_ms, clusters, list(ctx.cache_events), dict(ctx.counters)
        )
        self._record(ctx, result)
        return result

    def _record(self, ctx: CycleContext, result: CycleResult, running: bool = True) -> None:
        sim_time = ctx.now.isoformat() if self.settings.mode.value == "sim" else None
        try:
            self.write_heartbeat(result, running=running, market_open=ctx.market_open, sim_time=sim_time)
        except Exception as exc:  # noqa: BLE001
            emit(SUBSYSTEM, "heartbeat_write_failed", "error", paths=self.paths, error=repr(exc))
        try:
            line = RunLine(
                ts=utc_iso(),
                sim_time=sim_time,
                cycle=result.cycle,
                engine_status=result.engine_status,
                errors_this_cycle=result.errors,
                duration_ms=result.duration_ms,
                clusters=result.clusters,
                market_open=ctx.market_open,
                cache_events=result.cache_events,
                counters={k: v for k, v in result.counters.items() if k != "clusters"},
            )
            append_jsonl(self.paths.run_log, line.model_dump(mode="json"))
        except Exception as exc:  # noqa: BLE001
            emit(SUBSYSTEM, "run_log_write_failed", "error", paths=self.paths, error=repr(exc))

    def write_heartbeat(
        self, result: CycleResult | None, *, running: bool, market_open: bool | None = None, sim_time: str | None = None
    ) -> None:
        now = time.time()
        hb = Heartbeat(
            ts=utc_iso(now),
            ts_epoch=now,
            sim_time=sim_time,
            pid=os.getpid(),
            cycle=self.cycle,
            engine_status=result.engine_status if result else "starting",
            last_cycle_duration_ms=result.duration_ms if result else 0.0,
            mode=self.settings.mode.value,
            running=running,
            market_open=market_open,
            errors_last_cycle=result.errors if result else [],
        )
        save_state(self.paths.heartbeat, hb)

    # -- lifecycle -------------------------------------------------------------------------
    def startup(self) -> None:
        ctx = self._context()
        for step in self.startup_steps:
            try:
                step.fn(ctx)
            except Exception as exc:  # noqa: BLE001
                self._fail(ctx, f"startup.{step.name}", exc)

    def run_forever(self, stop: threading.Event, max_cycles: int | None = None) -> CycleResult | None:
        """Cycle until `stop` is set; the cycle in flight always completes (SIGTERM contract)."""
        last: CycleResult | None = None
        self.write_heartbeat(None, running=True)
        self.startup()
        while not stop.is_set():
            last = self.run_once()
            if max_cycles is not None and self.cycle >= max_cycles:
                break
            self.clock.sleep(self.settings.cycle_interval_s, stop)
        try:
            self.write_heartbeat(last, running=False)
        except Exception as exc:  # noqa: BLE001
            emit(SUBSYSTEM, "heartbeat_write_failed", "error", paths=self.paths, error=repr(exc))
        return last


def _as_int(v: Any) -> int:
    try:
        return int(v or 0)
    except (TypeError, ValueError):
        return 0
