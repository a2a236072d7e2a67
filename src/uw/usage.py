"""Host-wide UW quota: per-minute limit, daily budget with a daemon reserve, shared backoff.

Every process that talks to UW (daemon, intel workers, scripts) goes through one state file,
`state/uw_usage_state.json`, read and rewritten under an exclusive flock on a sidecar lock
file, so two processes together can never exceed the per-minute limit. UW's own counters
(`x-uw-daily-req-count`, `x-uw-token-req-limit`) correct the local count: UW is authoritative
about what the key has spent, including calls made from other machines.

The state is rewritten on every call, so the write is atomic (temp file + rename: lockless
readers never see a torn file) but not fsynced: the flock and the page cache are what make
processes agree, and after a power cut the counters are rebuilt from UW's headers on the first
answer (a reboot also outlasts the 60 s minute window). Header readings are not written on
their own: they ride along with the next acquire() (see UWClient.flush_usage).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from src.core.clock import Clock, RealClock, trading_day
from src.core.events import emit
from src.core.jsonio import atomic_write_bytes, model_bytes
from src.core.paths import Paths
from src.core.settings import Settings
from src.core.state import load_state
from src.uw.errors import UWRateLimited

WINDOW_S = 60.0
CALLERS = ("daemon", "intel", "script")


class UsageState(BaseModel):
    date: str = ""  # New York day the counters belong to
    calls_today: int = 0  # max(local count, UW's header count)
    local_calls_today: int = 0
    calls_by_endpoint: dict[str, int] = Field(default_factory=dict)
    calls_by_caller: dict[str, int] = Field(default_factory=dict)
    rate_limited_429: int = 0
    blocked_today: int = 0
    minute_window: list[float] = Field(default_factory=list)  # epoch of each call in the last 60 s
    blocked_until: float = 0.0  # shared Retry-After: nobody calls UW before this epoch
    header_daily_count: int | None = None
    header_daily_limit: int | None = None
    header_seen_at: float | None = None
    updated_at: float | None = None


@dataclass(frozen=True)
class HeaderReading:
    daily_count: int | None
    daily_limit: int | None
    at: float


@dataclass(frozen=True)
class Grant:
    calls_today: int
    daily_limit: int
    budget_left: int
    minute_count: int


def parse_headers(headers: Any, at: float) -> HeaderReading | None:
    """UW's rate-limit headers, if present and numeric."""

    def num(name: str) -> int | None:
        try:
            raw = headers.get(name) if headers is not None else None
            return int(float(str(raw).strip())) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None

    count, limit = num("x-uw-daily-req-count"), num("x-uw-token-req-limit")
    if count is None and limit is None:
        return None
    return HeaderReading(count, limit, at)


def effective_limit(state: UsageState, settings: Settings) -> int:
    limit = settings.uw_daily_budget
    if state.header_daily_limit:
        limit = min(limit, state.header_daily_limit)
    return limit


def caller_cap(state: UsageState, settings: Settings, caller: str) -> int:
    """Calls this caller may see spent before it is refused: others leave the daemon's reserve."""
    limit = effective_limit(state, settings)
    if caller == "daemon":
        return limit
    # the reserve is configured against the configured budget; UW may report a smaller key limit
    reserve = settings.uw_daemon_reserve * min(1.0, limit / max(settings.uw_daily_budget, 1))
    return max(0, limit - int(reserve))


def roll_day(state: UsageState, day: str) -> UsageState:
    if state.date == day:
        return state
    return UsageState(date=day, blocked_until=state.blocked_until, header_daily_limit=state.header_daily_limit)


def apply_headers(state: UsageState, reading: HeaderReading | None) -> None:
    if reading is None:
        return
    if reading.daily_limit:
        state.header_daily_limit = reading.daily_limit
    if reading.daily_count is not None:
        state.header_daily_count = reading.daily_count
        state.calls_today = max(state.calls_today, reading.daily_count)
    state.header_seen_at = reading.at


class UsageLimiter:
    """acquire() before every UW request; record_429() when UW says slow down."""

    def __init__(self, paths: Paths, settings: Settings, clock: Clock | None = None, caller: str = "script") -> None:
        self.paths = paths
        self.settings = settings
        self.clock = clock or RealClock()
        self.caller = caller if caller in CALLERS else "script"
        self.per_minute = settings.uw_per_minute_limit

    @contextmanager
    def _locked(self) -> Iterator[UsageState]:
        """Hold the host-wide lock; yields the state, which is saved on a clean exit."""
        lock = self.paths.uw_usage_lock
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self.clock.now()
            state = roll_day(
                load_state(self.paths.uw_usage_state, UsageState, subsystem="uw_client", paths=self.paths),
                trading_day(now),
            )
            yield state
            state.updated_at = now.timestamp()
            atomic_write_bytes(self.paths.uw_usage_state, model_bytes(state), fsync_file=False, fsync_folder=False)
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def read(self) -> UsageState:
        """A snapshot without taking the lock (for planners and status pages)."""
        state = load_state(self.paths.uw_usage_state, UsageState, subsystem="uw_client", paths=self.paths)
        return roll_day(state, trading_day(self.clock.now()))

    def budget_left(self, caller: str | None = None) -> int:
        state = self.read()
        return max(0, caller_cap(state, self.settings, caller or self.caller) - state.calls_today)

    def acquire(self, endpoint: str, *, max_wait_s: float | None = None, headers: HeaderReading | None = None) -> Grant:
        """Take one request slot or raise UWRateLimited; waits at most max_wait_s for a slot."""
        budget_wait = self.settings.uw_max_wait_s if max_wait_s is None else max_wait_s
        waited = 0.0
        while True:
            with self._locked() as state:
                apply_headers(state, headers)
                headers = None
                now = self.clock.now().timestamp()
                state.minute_window = [t for t in state.minute_window if now - WINDOW_S < t <= now + 1.0]
                cap = caller_cap(state, self.settings, self.caller)
                reason, wait = "", 0.0
                if state.calls_today >= cap:
                    reason = "daily_budget"
                elif state.blocked_until > now:
                    reason, wait = "retry_after", state.blocked_until - now
                elif len(state.minute_window) >= self.per_minute:
                    reason, wait = "per_minute", state.minute_window[0] + WINDOW_S - now + 0.01
                if not reason:
                    state.minute_window.append(now)
                    state.calls_today += 1
                    state.local_calls_today += 1
                    state.calls_by_endpoint[endpoint] = state.calls_by_endpoint.get(endpoint, 0) + 1
                    state.calls_by_caller[self.caller] = state.calls_by_caller.get(self.caller, 0) + 1
                    limit = effective_limit(state, self.settings)
                    return Grant(state.calls_today, limit, max(0, cap - state.calls_today), len(state.minute_window))
                give_up = reason == "daily_budget" or waited + wait > budget_wait
                if give_up:
                    state.blocked_today += 1
            if give_up:
                emit(
                    "uw_client",
                    "uw_rate_limit_block",
                    "warning",
                    paths=self.paths,
                    reason=reason,
                    caller=self.caller,
                    endpoint=endpoint,
                    calls_today=state.calls_today,
                    cap=cap,
                    retry_after_s=round(wait, 3) if wait else None,
                )
                raise UWRateLimited(f"UW {reason.replace('_', ' ')} limit reached", reason=reason, retry_after_s=wait)
            self.clock.sleep(wait)
            waited += wait

    def record_429(self, retry_after_s: float, headers: HeaderReading | None = None) -> None:
        """Make every process on the host hold off until UW's Retry-After has passed."""
        with self._locked() as state:
            apply_headers(state, headers)
            now = self.clock.now().timestamp()
            state.rate_limited_429 += 1
            state.blocked_until = max(state.blocked_until, now + max(0.0, retry_after_s))

    def record_headers(self, headers: HeaderReading | None) -> None:
        if headers is None:
            return
        with self._locked() as state:
            apply_headers(state, headers)
