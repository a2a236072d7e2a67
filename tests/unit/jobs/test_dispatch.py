"""The tick's decision: due jobs one at a time, in order, never past their window."""

from __future__ import annotations

from datetime import date, datetime

from src.core.clock import NY
from src.jobs.dispatch import decide
from src.jobs.schedule import plan_for

REGULAR = plan_for(date(2026, 11, 25))
EARLY = plan_for(date(2026, 11, 27))
PREOPEN_DONE = {
    n: "finished"
    for n in (
        "build_daily_universe",
        "regime_detector",
        "premarket_intel",
        "premarket_exit_intel",
        "daemon_health_check",
        "intel_health_checks",
        "preopen_readiness",
    )
}


def ny(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY)


def names(entries) -> list[str]:
    return [e.name for e in entries]


def test_nothing_before_the_first_job() -> None:
    d = decide(REGULAR, {}, ny(REGULAR.day, 7, 59))
    assert d.enqueue == [] and d.waiting == [] and d.missed == []


def test_first_due_job_is_enqueued_alone() -> None:
    d = decide(REGULAR, {"build_daily_universe": None}, ny(REGULAR.day, 8, 25))
    assert names(d.enqueue) == ["build_daily_universe"]  # later due jobs wait for it


def test_running_job_blocks_the_next_one() -> None:
    d = decide(REGULAR, {"build_daily_universe": "started"}, ny(REGULAR.day, 8, 25))
    assert d.enqueue == [] and d.waiting == ["build_daily_universe"]
    d = decide(REGULAR, {"build_daily_universe": "scheduled"}, ny(REGULAR.day, 8, 25))  # waiting for a retry
    assert d.waiting == ["build_daily_universe"]


def test_finished_or_failed_job_lets_the_next_run() -> None:
    states = {"build_daily_universe": "failed", "regime_detector": "finished", "premarket_intel": None}
    d = decide(REGULAR, states, ny(REGULAR.day, 8, 25))
    assert names(d.enqueue) == ["premarket_intel"]


def test_next_job_waits_for_its_time() -> None:
    d = decide(REGULAR, {"build_daily_universe": "finished"}, ny(REGULAR.day, 8, 5))
    assert d.enqueue == [] and d.waiting == []


def test_preopen_jobs_not_started_by_the_open_are_missed() -> None:
    d = decide(REGULAR, {}, ny(REGULAR.day, 9, 45))
    assert d.enqueue == []
    assert names(d.missed) == list(PREOPEN_DONE)


def test_postclose_chain_starts_after_the_close() -> None:
    assert decide(REGULAR, PREOPEN_DONE, ny(REGULAR.day, 16, 10)).enqueue == []
    d = decide(REGULAR, PREOPEN_DONE, ny(REGULAR.day, 16, 16))
    assert names(d.enqueue) == ["postmarket_intel"]


def test_early_close_runs_postclose_jobs_three_hours_earlier() -> None:
    assert names(decide(EARLY, PREOPEN_DONE, ny(EARLY.day, 13, 16)).enqueue) == ["postmarket_intel"]
    assert decide(REGULAR, PREOPEN_DONE, ny(REGULAR.day, 13, 16)).enqueue == []


def test_postclose_catch_up_until_midnight() -> None:
    d = decide(REGULAR, PREOPEN_DONE, ny(REGULAR.day, 22, 0))
    assert names(d.enqueue) == ["postmarket_intel"] and d.missed == []


def test_holiday_plan_decides_nothing() -> None:
    d = decide(plan_for(date(2026, 11, 26)), {}, ny(date(2026, 11, 26), 12, 0))
    assert d.enqueue == [] and d.missed == [] and d.waiting == []
