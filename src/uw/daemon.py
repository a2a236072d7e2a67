"""The UW flow daemon (contract 4.9): one instance per host keeps data/uw_flow_cache.json fresh.

Single instance by an exclusive flock on state/uw_flow_daemon.lock, held for the process
lifetime; the kernel drops it when the process dies, even by kill -9, so a stale file never
blocks a successor. Polling is planned against the quota (src/uw/poll_plan.py); payloads become
cache records in src/uw/flow_builder.py. A failed or empty poll keeps the last good value (and its
`last_update`); a successful poll, empty or not, moves the family's `checked_at`, a fault never does.
Each failing endpoint family is reported once, not once per request.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from src.core.clock import Clock, MarketCalendar, clock_from_env, trading_day
from src.core.errors import ConfigError
from src.core.events import emit
from src.core.jsonio import atomic_write_json
from src.core.paths import Paths
from src.core.procs import pid_alive
from src.core.settings import Settings, load_settings
from src.core.state import load_state
from src.uw import flow_builder as fb
from src.uw.errors import UWError, UWRateLimited
from src.uw.flow_cache import FlowCache, MarketItem
from src.uw.poll_plan import FAMILIES, Job, PaceInputs, PollPlanner, pace_rpm
from src.uw.uw_client import UWClient

SUBSYSTEM = "uw_poll"
EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3
FAMILY_EVENT_REPEAT_S = 300.0
DROP_RECORD_AFTER_S = 24 * 3600.0
MIN_SLEEP_S = 0.001  # clocks keep microseconds; shorter sleeps would not advance a simulated clock


class DaemonLock:
    """Exclusive, non-blocking flock; pid/host/start written inside for the health sentinel."""

    def __init__(self, path: os.PathLike[str] | str) -> None:
        self.path = os.fspath(path)
        self.fd: int | None = None

    def acquire(self, clock_now: float | None = None) -> bool:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": time.time(), "clock_start": clock_now}
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(info) + b"\n", 0)
        os.fsync(fd)
        self.fd = fd
        return True

    def holder(self, wait_s: float = 1.0) -> dict[str, Any]:
        """Who holds the lock. The holder writes its details just after taking the flock, so a
        loser that lost the race by microseconds may read an empty file or the previous holder's
        details: wait briefly for a live pid before answering."""
        deadline = time.monotonic() + wait_s
        while True:
            data = self._read()
            pid = data.get("pid")
            if (isinstance(pid, int) and pid_alive(pid)) or time.monotonic() >= deadline:
                return data
            time.sleep(0.02)

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as fh:
                data = orjson.loads(fh.read() or b"{}")
            return data if isinstance(data, dict) else {}
        except (OSError, orjson.JSONDecodeError):
            return {}

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None


@dataclass
class FamilyHealth:
    last_ok: float | None = None
    last_fail: float | None = None
    cycle_failures: int = 0
    cycle_ok: int = 0
    reason: str = ""
    symbols: list[str] = field(default_factory=list)
    failing: bool = False
    last_event: float = 0.0


class FlowDaemon:
    def __init__(
        self,
        settings: Settings,
        paths: Paths,
        clock: Clock,
        *,
        client: UWClient | None = None,
        calendar: MarketCalendar | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings, self.paths, self.clock = settings, paths, clock
        self.client = client or UWClient(settings, paths, caller="daemon", clock=clock)
        self.client.emit_failures = False  # one event per failing family, from here
        self.calendar = calendar or MarketCalendar()
        self.stop = stop or threading.Event()
        self.planner = PollPlanner(FAMILIES, settings.uw_offhours_slowdown)
        self.health = {f.name: FamilyHealth() for f in FAMILIES}
        self.flow_store, self.dp_store = fb.TradeStore(), fb.TradeStore()
        self.cache = load_state(paths.uw_flow_cache, FlowCache, subsystem=SUBSYSTEM, paths=paths)
        self.cycle = 0
        self.rate = 0.0
        self.requests = 0
        self.universe: set[str] = set()
        self._market_open: bool | None = None

    def now(self) -> float:
        return self.clock.now().timestamp()

    # --- planning -------------------------------------------------------------------------
    def refresh_universe(self, now: float) -> None:
        ordered = self.client.universe.ordered()
        self.universe = set(ordered)
        self.planner.set_symbols(ordered, now)

    def recompute_rate(self) -> float:
        s = self.settings
        usage = self.client.limiter.read()
        limit = min(s.uw_daily_budget, usage.header_daily_limit or s.uw_daily_budget)
        inputs = PaceInputs(
            calls_today=usage.calls_today,
            target_today=int(limit * s.uw_daemon_budget_share),
            per_minute_limit=s.uw_per_minute_limit,
            minute_headroom=s.uw_minute_headroom,
            offhours_max_rpm=s.uw_offhours_max_rpm,
            offhours_weight=1.0 / (4.0 * s.uw_offhours_slowdown),
        )
        now = self.clock.now()
        self.rate = pace_rpm(now, self.calendar, inputs)
        market_open = self.calendar.is_open(now)
        if self._market_open is not None and market_open != self._market_open:
            self.planner.make_all_due(now.timestamp())
        self._market_open = market_open
        self.planner.set_stretch(self.rate, market_open)
        return self.rate

    # --- one request ----------------------------------------------------------------------
    def poll(self, job: Job, now: float) -> float:
        """Run one job; returns extra seconds to hold off (Retry-After / per-minute wait)."""
        fam, h = job.family, self.health[job.family.name]
        hold = 0.0
        try:
            resp = self.client.get(fam.path(job.symbol), params=dict(fam.params), cache=False, max_wait_s=2.0)
            self.requests += 1
            self.apply(job, resp.items, self.now())
            h.last_ok, h.cycle_ok = self.now(), h.cycle_ok + 1
        except UWRateLimited as exc:  # event already written by the limiter
            hold = exc.retry_after_s or 1.0
            if exc.reason == "daily_budget":
                self.rate = 0.0
            self._fail(h, job, f"rate limited ({exc.reason})")
        except (UWError, fb.BadPayload, ValueError) as exc:
            self.requests += 1
            self._fail(h, job, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a poll failure must never stop the daemon
            self._fail(h, job, f"unexpected {type(exc).__name__}: {exc}")
        self.planner.done(job, self.now(), self.calendar.is_open(self.clock.now()))
        return hold

    def _fail(self, h: FamilyHealth, job: Job, reason: str) -> None:
        h.last_fail, h.cycle_failures, h.reason = self.now(), h.cycle_failures + 1, reason[:300]
        if job.symbol and len(h.symbols) < 10 and job.symbol not in h.symbols:
            h.symbols.append(job.symbol)

    def apply(self, job: Job, items: list[Any], ts: float) -> None:
        name = job.family.name
        day = trading_day(self.clock.now())
        self.flow_store.roll(day)
        self.dp_store.roll(day)
        if name in ("flow_alerts", "flow"):
            touched, usable = fb.ingest(self.flow_store, items, fb.alert_trade, self.universe)
            if name == "flow" and usable and job.symbol:
                touched.add(job.symbol)
            for sym in touched:
                self._set(sym, "flow", fb.flow_record(self.flow_store.trades(sym)), ts)
                self._price(sym, self.flow_store.trades(sym))
            if name == "flow_alerts":
                self._market("flow_alerts", {"alerts": len(items), "symbols_updated": len(touched)}, ts)
        elif name in ("darkpool_recent", "dark_pool"):
            touched, usable = fb.ingest(self.dp_store, items, fb.darkpool_trade, self.universe)
            if name == "dark_pool" and usable and job.symbol:
                touched.add(job.symbol)
            for sym in touched:
                self._set(sym, "dark_pool", fb.dark_pool_record(self.dp_store.trades(sym)), ts)
                self._price(sym, self.dp_store.trades(sym))
            if name == "darkpool_recent":
                self._market("darkpool_recent", {"prints": len(items), "symbols_updated": len(touched)}, ts)
        elif not items:
            raise fb.BadPayload("empty payload")
        elif name == "greek_exposure":
            self._set(job.symbol or "", name, fb.greek_exposure_record(items), ts)
        elif name == "iv_rank":
            rec = fb.iv_rank_record(items)
            close = rec.pop("close", None)
            self._set(job.symbol or "", name, rec, ts)
            if close is not None and "price" not in self.cache.symbols.get(job.symbol or "", {}):
                self.cache.symbols[job.symbol or ""]["price"] = close
        elif name == "oi_change":
            self._set(job.symbol or "", name, fb.oi_change_record(items), ts)
        elif name == "market_tide":
            self._market(name, fb.market_tide_item(items), ts)
        elif name == "top_net_impact":
            self._market(name, fb.top_net_impact_item(items), ts)
        if job.symbol and job.family.scope == "symbol":
            self._checked(job.symbol, name, ts)  # reached only on success: an empty answer counts

    def _set(self, sym: str, family: str, fields: dict[str, Any], ts: float) -> None:
        if not sym:
            return
        rec = self.cache.symbols.setdefault(sym, {})
        rec[family] = {**fields, "last_update": ts, "checked_at": ts}
        rec["last_update"] = max(float(rec.get("last_update") or 0.0), ts)
        rec["checked_at"] = max(float(rec.get("checked_at") or 0.0), ts)

    def _checked(self, sym: str, family: str, ts: float) -> None:
        """A successful poll that brought nothing new: the data keeps its own last_update, but the
        reader learns the symbol was looked at (a quiet symbol is not a stale one). Records and
        families are never created here, so an empty answer adds no data-less entries."""
        rec = self.cache.symbols.get(sym)
        fam = rec.get(family) if rec is not None else None
        if rec is None or not isinstance(fam, dict):
            return
        fam["checked_at"] = max(float(fam.get("checked_at") or 0.0), ts)
        rec["checked_at"] = max(float(rec.get("checked_at") or 0.0), ts)

    def _price(self, sym: str, trades: list[dict[str, Any]]) -> None:
        price, pts = fb.last_price(trades)
        rec = self.cache.symbols.get(sym)
        if rec is not None and price is not None and (pts or 0) >= float(rec.get("price_ts") or 0.0):
            rec["price"], rec["price_ts"] = price, pts

    def _market(self, name: str, data: Any, ts: float) -> None:
        self.cache.market[name] = MarketItem(data=data, last_update=ts)

    # --- cycle end: events, cache write ---------------------------------------------------
    def end_cycle(self, now: float) -> None:
        self.cycle += 1
        for name, h in self.health.items():
            if h.cycle_failures:
                if not h.failing or now - h.last_event >= FAMILY_EVENT_REPEAT_S:
                    emit(
                        SUBSYSTEM, "uw_endpoint_family_failed", "error", paths=self.paths,
                        family=name, failures=h.cycle_failures, ok=h.cycle_ok, reason=h.reason,
                        symbols=h.symbols, poll_cycle=self.cycle,
                    )  # fmt: skip
                    h.last_event = now
                h.failing = True
            elif h.cycle_ok and h.failing:
                emit(SUBSYSTEM, "uw_endpoint_family_recovered", "info", paths=self.paths, family=name)
                h.failing = False
            h.cycle_failures = h.cycle_ok = 0
            h.symbols = []
        self.client.flush_usage()
        self.write_cache(now)

    def write_cache(self, now: float) -> None:
        for sym in [s for s, r in self.cache.symbols.items() if s not in self.universe]:
            if now - float(self.cache.symbols[sym].get("last_update") or 0.0) > DROP_RECORD_AFTER_S:
                del self.cache.symbols[sym]
        m = self.cache.meta
        m.written_at, m.written_by, m.daemon_pid, m.poll_cycle = now, "uw_flow_daemon", os.getpid(), self.cycle
        m.endpoints_failed = sorted(n for n, h in self.health.items() if h.failing)
        m.endpoints_ok = sorted(n for n, h in self.health.items() if h.last_ok is not None and not h.failing)
        try:
            m.budget_left = self.client.limiter.budget_left("daemon")
            atomic_write_json(self.paths.uw_flow_cache, self.cache.model_dump(mode="json", by_alias=True))
        except OSError as exc:
            emit(SUBSYSTEM, "uw_flow_cache_write_failed", "error", paths=self.paths, error=repr(exc))

    # --- the loop -------------------------------------------------------------------------
    def run(self, *, once: bool = False, max_cycles: int | None = None) -> int:
        now = self.now()
        self.refresh_universe(now)
        self.recompute_rate()
        emit(SUBSYSTEM, "uw_flow_daemon_started", "info", paths=self.paths, symbols=len(self.universe), once=once)
        if once:
            while not self.stop.is_set():
                job = self.planner.pop_due(self.now())
                if job is None:
                    break
                self.clock.sleep(self.poll(job, self.now()), self.stop)
            self.end_cycle(self.now())
            return EXIT_OK
        next_write, next_slot = now + self.settings.uw_cycle_s, now
        while not self.stop.is_set():
            now = self.now()
            if now >= next_write:
                self.end_cycle(now)
                if max_cycles is not None and self.cycle >= max_cycles:
                    break
                self.refresh_universe(now)
                self.recompute_rate()
                next_write = now + self.settings.uw_cycle_s
                continue
            if self.rate <= 0.0 or now < next_slot - MIN_SLEEP_S:
                wake = next_write if self.rate <= 0.0 else min(next_slot, next_write)
                self.clock.sleep(max(MIN_SLEEP_S, wake - now), self.stop)
                continue
            job = self.planner.pop_due(now + MIN_SLEEP_S)
            if job is None:
                due = self.planner.next_due_at()
                self.clock.sleep(max(MIN_SLEEP_S, min(due or next_write, next_write) - now), self.stop)
                continue
            hold = self.poll(job, now)
            next_slot = now + 60.0 / self.rate if self.rate > 0 else next_write
            if hold:
                next_slot = max(next_slot, self.now() + hold)
        self.end_cycle(self.now())  # finish with a complete write (SIGTERM path included)
        return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point: lock, poll until SIGTERM (exit 0); 3 when another instance holds the lock."""
    import signal

    ap = argparse.ArgumentParser(description="UW flow daemon: keeps data/uw_flow_cache.json fresh")
    ap.add_argument("--once", action="store_true", help="poll every due job once, write the cache, exit")
    ap.add_argument("--max-cycles", type=int, default=None, help="exit after N cache writes")
    args = ap.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"uw_flow_daemon: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    paths = Paths.from_env().ensure()
    if settings.uw_api_key is None or not settings.uw_api_key.get_secret_value():
        emit(SUBSYSTEM, "uw_config_missing", "critical", paths=paths, reason="UW_API_KEY not set")
        print("uw_flow_daemon: UW_API_KEY is not set (sim mode: point UW_BASE_URL at the simulator)", file=sys.stderr)
        return EXIT_CONFIG
    clock = clock_from_env()
    lock = DaemonLock(paths.uw_daemon_lock)
    if not lock.acquire(clock.now().timestamp()):
        holder = lock.holder()
        emit(SUBSYSTEM, "uw_flow_daemon_already_running", "warning", paths=paths, holder=holder, pid=os.getpid())
        print(f"uw_flow_daemon: already running (holder {holder})", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        daemon = FlowDaemon(settings, paths, clock, stop=stop)
        return daemon.run(once=args.once, max_cycles=args.max_cycles)
    finally:
        emit(SUBSYSTEM, "uw_flow_daemon_stopped", "info", paths=paths)
        lock.release()
