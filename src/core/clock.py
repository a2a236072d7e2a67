"""Injectable time and the NYSE session calendar.

Every component asks a `Clock` for the time, so tests can freeze it and a simulated session
can run faster than real time. The calendar (holidays, early closes) comes from
exchange_calendars' XNYS; the calendar object is built lazily, not at import.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        if stop is not None:
            stop.wait(max(0.0, seconds))
        else:
            time.sleep(max(0.0, seconds))


class FixedClock:
    """Time stands still unless advanced; sleep advances it instantly."""

    def __init__(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        self.advance(max(0.0, seconds))


class AcceleratedClock:
    """Simulated time = start + speed * real elapsed; sleeps are shortened by `speed`.

    Processes that share STOCKBOT_CLOCK_START (epoch of the real start) and the same
    speed agree on the simulated time without talking to each other.
    """

    def __init__(self, start: datetime, speed: float, real_start: float | None = None) -> None:
        self.start = start.astimezone(UTC)
        self.speed = max(speed, 1e-6)
        self.real_start = time.time() if real_start is None else real_start

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.real_start) * self.speed)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        real = max(0.0, seconds) / self.speed
        if stop is not None:
            stop.wait(real)
        else:
            time.sleep(real)


def clock_from_env() -> Clock:
    """STOCKBOT_CLOCK_SIM_START (ISO), STOCKBOT_CLOCK_SPEED, STOCKBOT_CLOCK_REAL_START (epoch)."""
    start = os.environ.get("STOCKBOT_CLOCK_SIM_START")
    if not start:
        return RealClock()
    speed = float(os.environ.get("STOCKBOT_CLOCK_SPEED") or 1.0)
    real_start = os.environ.get("STOCKBOT_CLOCK_REAL_START")
    return AcceleratedClock(
        datetime.fromisoformat(start), speed, float(real_start) if real_start else None
    )


@dataclass(frozen=True)
class Session:
    day: date
    open: datetime  # UTC
    close: datetime  # UTC

    @property
    def early_close(self) -> bool:
        return self.close.astimezone(NY).hour < 16


@lru_cache(maxsize=1)
def _xnys():  # type: ignore[no-untyped-def]
    import exchange_calendars as xcals

    return xcals.get_calendar("XNYS", start="2015-01-01", end="2035-12-31")


class MarketCalendar:
    """NYSE sessions in UTC with helpers the engine, daemon and scheduler share.

    Sessions are memoised per day: a lookup in exchange_calendars costs milliseconds and the
    engine asks every cycle.
    """

    def __init__(self) -> None:
        self._sessions: dict[date, Session | None] = {}

    def session(self, day: date) -> Session | None:
        if day not in self._sessions:
            if len(self._sessions) > 4096:
                self._sessions.clear()
            self._sessions[day] = self._lookup(day)
        return self._sessions[day]

    def _lookup(self, day: date) -> Session | None:
        cal = _xnys()
        key = day.isoformat()
        try:
            if not cal.is_session(key):
                return None
            return Session(day, cal.session_open(key).to_pydatetime(), cal.session_close(key).to_pydatetime())
        except Exception:  # noqa: BLE001 - outside the calendar's range: weekday heuristic
            if day.weekday() >= 5:
                return None
            o = datetime(day.year, day.month, day.day, 9, 30, tzinfo=NY).astimezone(UTC)
            c = datetime(day.year, day.month, day.day, 16, 0, tzinfo=NY).astimezone(UTC)
            return Session(day, o, c)

    def is_trading_day(self, day: date) -> bool:
        return self.session(day) is not None

    def session_at(self, ts: datetime) -> Session | None:
        return self.session(ts.astimezone(NY).date())

    def is_open(self, ts: datetime) -> bool:
        s = self.session_at(ts)
        return bool(s and s.open <= ts < s.close)

    def minutes_to_close(self, ts: datetime) -> float | None:
        s = self.session_at(ts)
        if not s or not (s.open <= ts < s.close):
            return None
        return (s.close - ts).total_seconds() / 60.0

    def next_session(self, after: date) -> Session:
        d = after + timedelta(days=1)
        for _ in range(30):
            s = self.session(d)
            if s:
                return s
            d += timedelta(days=1)
        raise RuntimeError(f"no NYSE session within 30 days after {after}")


def trading_day(ts: datetime) -> str:
    """The New York calendar date of ts, YYYY-MM-DD: the key for daily files and order ids."""
    return ts.astimezone(NY).date().isoformat()
