"""What the flow daemon polls, how often, and how fast it may spend the day's UW budget.

Pure logic (no IO): the daemon asks `PollPlanner.pop_due(now)` and `pace_rpm(...)`; tests drive
both with hand-built times. Planning is earliest-due-first over (family, symbol) jobs; when the
budget cannot cover every base interval, all intervals stretch by one factor, so the fast
families (flow, dark pool) stay proportionally fresher than the slow ones. The request rate follows the budget: what is left of the daemon's
share, spread over what is left of the day, weighted so market hours get most of it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from src.core.clock import NY, MarketCalendar


@dataclass(frozen=True)
class Family:
    name: str
    template: str  # spec template; `{ticker}` is filled per symbol
    scope: str  # "market" | "symbol"
    interval_s: float  # base interval in market hours
    params: dict[str, Any] = field(default_factory=dict)

    def path(self, symbol: str | None = None) -> str:
        return self.template.replace("{ticker}", symbol or "")


# Intervals from the original system where they fit the Startup quota; OI changes once a day, so
# it is polled less. Market-wide feeds also feed per-symbol flow and dark pool between symbol polls.
FAMILIES: tuple[Family, ...] = (
    Family("flow_alerts", "/api/option-trades/flow-alerts", "market", 30.0, {"limit": 200}),
    Family("darkpool_recent", "/api/darkpool/recent", "market", 60.0, {"limit": 200}),
    Family("market_tide", "/api/market/market-tide", "market", 600.0),
    Family("top_net_impact", "/api/market/top-net-impact", "market", 600.0, {"limit": 50}),
    Family("flow", "/api/stock/{ticker}/flow-alerts", "symbol", 300.0, {"limit": 100}),
    Family("dark_pool", "/api/darkpool/{ticker}", "symbol", 300.0, {"limit": 100}),
    Family("greek_exposure", "/api/stock/{ticker}/greek-exposure", "symbol", 600.0),
    Family("iv_rank", "/api/stock/{ticker}/iv-rank", "symbol", 600.0),
    Family("oi_change", "/api/stock/{ticker}/oi-change", "symbol", 1800.0, {"limit": 100}),
)
FAMILY_BY_NAME = {f.name: f for f in FAMILIES}


@dataclass(frozen=True)
class Job:
    family: Family
    symbol: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.family.name, self.symbol or "")


@dataclass(frozen=True)
class PaceInputs:
    calls_today: int  # all callers, as the shared usage state sees it
    target_today: int  # the daemon's planned share of the daily limit
    per_minute_limit: int
    minute_headroom: float
    offhours_max_rpm: float
    offhours_weight: float


def day_weights(now: datetime, calendar: MarketCalendar, offhours_weight: float) -> tuple[float, float]:
    """(weighted minutes left in this New York day, weight of the current minute)."""
    local = now.astimezone(NY)
    end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=NY)
    total_left = max(0.0, (end - local).total_seconds() / 60.0)
    session = calendar.session(local.date())
    market_left = 0.0
    if session is not None:
        start = max(now, session.open)
        if session.close > start:
            market_left = (session.close - start).total_seconds() / 60.0
    weighted = market_left + (total_left - market_left) * offhours_weight
    current = 1.0 if calendar.is_open(now) else offhours_weight
    return weighted, current


def pace_rpm(now: datetime, calendar: MarketCalendar, p: PaceInputs) -> float:
    """Requests per minute the daemon may send now; 0 when its share is spent."""
    remaining = p.target_today - p.calls_today
    if remaining <= 0:
        return 0.0
    weighted_left, weight = day_weights(now, calendar, p.offhours_weight)
    rate = remaining * weight / max(weighted_left, 1.0)
    cap = p.per_minute_limit * p.minute_headroom
    if weight < 1.0:
        cap = min(cap, p.offhours_max_rpm)
    return max(0.0, min(rate, cap))


class PollPlanner:
    """Earliest-due-first queue of jobs; intervals slow down outside market hours."""

    def __init__(self, families: Iterable[Family] = FAMILIES, offhours_slowdown: float = 3.0) -> None:
        self.families = tuple(families)
        self.offhours_slowdown = offhours_slowdown
        self._heap: list[tuple[float, int, int, Job]] = []
        self._seq = itertools.count()
        self._live: dict[tuple[str, str], int] = {}  # job key -> seq of its live heap entry
        self._order = {f.name: i for i, f in enumerate(self.families)}
        self.symbols: list[str] = []
        self._symset: set[str] = set()
        self.stretch = 1.0  # >1 when the budget cannot cover the base intervals (set by the daemon)

    def interval(self, family: Family, market_open: bool) -> float:
        return family.interval_s * (1.0 if market_open else self.offhours_slowdown)

    def demand_rpm(self, market_open: bool) -> float:
        """Requests per minute the base intervals would need for the current job set."""
        n_sym = len(self.symbols)
        return sum(60.0 / self.interval(f, market_open) * (n_sym if f.scope == "symbol" else 1) for f in self.families)

    def set_stretch(self, rate_rpm: float, market_open: bool) -> float:
        """Stretch every interval by the same factor so demand fits the rate (proportional, not additive)."""
        demand = self.demand_rpm(market_open)
        self.stretch = max(1.0, demand / rate_rpm) if rate_rpm > 0 else 1.0
        return self.stretch

    def make_all_due(self, now: float) -> None:
        """At a session change: what was planned at the old pace is due now, in its old order."""
        live = sorted((e for e in self._heap if self._live.get(e[3].key) == e[2]), key=lambda e: (e[0], e[1], e[2]))
        self._heap, self._live = [], {}
        for i, (_, _, _, job) in enumerate(live):
            self._push(job, now + i * 1e-6)

    def _push(self, job: Job, due: float) -> None:
        seq = next(self._seq)
        self._live[job.key] = seq
        heapq.heappush(self._heap, (due, self._order.get(job.family.name, 99), seq, job))

    def set_symbols(self, symbols: list[str], now: float) -> None:
        """Add jobs for new symbols (due now) and forget removed ones; market jobs once."""
        if not self._live:
            for f in self.families:
                if f.scope == "market":
                    self._push(Job(f, None), now)
        keep = set(symbols)
        for key in [k for k in self._live if k[1] and k[1] not in keep]:
            del self._live[key]
        for f in self.families:
            if f.scope != "symbol":
                continue
            for s in symbols:
                if (f.name, s) not in self._live:
                    self._push(Job(f, s), now)
        self.symbols = list(symbols)
        self._symset = keep

    def next_due_at(self) -> float | None:
        self._drop_dead()
        return self._heap[0][0] if self._heap else None

    def _drop_dead(self) -> None:
        while self._heap and self._live.get(self._heap[0][3].key) != self._heap[0][2]:
            heapq.heappop(self._heap)

    def pop_due(self, now: float) -> Job | None:
        self._drop_dead()
        if not self._heap or self._heap[0][0] > now:
            return None
        _, _, _, job = heapq.heappop(self._heap)
        del self._live[job.key]
        return job

    def done(self, job: Job, now: float, market_open: bool, backoff: float = 1.0) -> None:
        """Reschedule after an attempt (success or failure)."""
        if job.symbol is not None and job.symbol not in self._symset:
            return
        self._push(job, now + self.interval(job.family, market_open) * self.stretch * backoff)

    def pending(self) -> int:
        return len(self._live)

    def due_count(self, now: float) -> int:
        return sum(1 for due, _, seq, job in self._heap if due <= now and self._live.get(job.key) == seq)
