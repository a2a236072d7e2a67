"""The daily job plan: a trading date -> the contract's jobs, in order, with their NY times.

Pure: the plan depends only on the date and the NYSE calendar, so holidays produce an empty
plan and early closes move the post-close jobs with the close. Pre-open jobs are placed before
the session's open and must start by the open; post-close jobs start after the close and may
catch up until midnight New York time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from src.core.clock import NY, MarketCalendar

PREOPEN = "preopen"
POSTCLOSE = "postclose"

# minutes relative to the open (negative) and to the close (positive); order is the contract's
PREOPEN_STEPS: tuple[tuple[str, int], ...] = (
    ("build_daily_universe", -90),
    ("regime_detector", -80),
    ("premarket_intel", -70),
    ("premarket_exit_intel", -60),
    ("daemon_health_check", -50),
    ("intel_health_checks", -45),
    ("preopen_readiness", -30),
)
POSTCLOSE_STEPS: tuple[tuple[str, int], ...] = (
    ("postmarket_intel", 15),
    ("postmarket_exit_intel", 20),
    ("intel_pnl", 25),
    ("exit_intel_pnl", 30),
    ("exit_day_summary", 35),
    ("intel_dashboard", 40),
    ("full_telemetry_extract", 45),
    ("regression_checks", 55),
    ("postclose_analysis_pack", 65),
)


@dataclass(frozen=True)
class PlanEntry:
    at: datetime  # New York time, aware
    name: str
    phase: str
    deadline: datetime  # latest start time; a job not queued by then is reported missed


@dataclass(frozen=True)
class DayPlan:
    day: date
    entries: tuple[PlanEntry, ...]
    reason: str = ""  # why the plan is empty
    early_close: bool = False

    def phase(self, name: str) -> tuple[PlanEntry, ...]:
        return tuple(e for e in self.entries if e.phase == name)


def plan_for(day: date, calendar: MarketCalendar | None = None) -> DayPlan:
    session = (calendar or MarketCalendar()).session(day)
    if session is None:
        kind = "weekend" if day.weekday() >= 5 else "NYSE holiday"
        return DayPlan(day=day, entries=(), reason=f"{day.isoformat()} is not a trading day ({kind})")
    open_ny = session.open.astimezone(NY)
    close_ny = session.close.astimezone(NY)
    end_of_day = datetime.combine(day, time(23, 59, 59), tzinfo=NY)
    entries = [PlanEntry(open_ny + timedelta(minutes=m), n, PREOPEN, open_ny) for n, m in PREOPEN_STEPS]
    entries += [PlanEntry(close_ny + timedelta(minutes=m), n, POSTCLOSE, end_of_day) for n, m in POSTCLOSE_STEPS]
    return DayPlan(day=day, entries=tuple(entries), early_close=session.early_close)


def schedule(day: date, calendar: MarketCalendar | None = None) -> list[tuple[str, str]]:
    """[(HH:MM New York, job name), ...] in run order; empty on a non-trading day."""
    return [(e.at.strftime("%H:%M"), e.name) for e in plan_for(day, calendar).entries]
