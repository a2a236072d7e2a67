"""The daily plan: contract order, NYSE trading days only, early closes move the post-close jobs."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

from src.core.paths import REPO_ROOT
from src.jobs.schedule import POSTCLOSE, PREOPEN, plan_for, schedule

PREOPEN_ORDER = [
    "build_daily_universe",
    "regime_detector",
    "premarket_intel",
    "premarket_exit_intel",
    "daemon_health_check",
    "intel_health_checks",
    "preopen_readiness",
]
POSTCLOSE_ORDER = [
    "postmarket_intel",
    "postmarket_exit_intel",
    "intel_pnl",
    "exit_intel_pnl",
    "exit_day_summary",
    "intel_dashboard",
    "full_telemetry_extract",
    "regression_checks",
    "postclose_analysis_pack",
]
# worked out by hand: open 09:30 New York, jobs from 90 min before it; close 16:00, jobs from +15 min
PREOPEN_TIMES = ["08:00", "08:10", "08:20", "08:30", "08:40", "08:45", "09:00"]
REGULAR_CLOSE_TIMES = ["16:15", "16:20", "16:25", "16:30", "16:35", "16:40", "16:45", "16:55", "17:05"]
EARLY_CLOSE_TIMES = ["13:15", "13:20", "13:25", "13:30", "13:35", "13:40", "13:45", "13:55", "14:05"]


def test_normal_day_full_plan_in_contract_order() -> None:
    got = schedule(date(2026, 11, 25))  # Wednesday before Thanksgiving: a regular session
    expected = list(zip(PREOPEN_TIMES, PREOPEN_ORDER, strict=True)) + list(
        zip(REGULAR_CLOSE_TIMES, POSTCLOSE_ORDER, strict=True)
    )
    assert got == expected
    plan = plan_for(date(2026, 11, 25))
    assert not plan.early_close and plan.reason == ""
    # November is EST (UTC-5): 08:00 New York is 13:00 UTC
    assert plan.entries[0].at.astimezone(UTC) == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert all(e.deadline.astimezone(UTC) == datetime(2026, 11, 25, 14, 30, tzinfo=UTC) for e in plan.phase(PREOPEN))


def test_holiday_has_no_jobs_and_says_why() -> None:
    plan = plan_for(date(2026, 11, 26))  # Thanksgiving
    assert plan.entries == ()
    assert "holiday" in plan.reason and "2026-11-26" in plan.reason
    assert schedule(date(2026, 11, 28)) == []  # Saturday
    assert "weekend" in plan_for(date(2026, 11, 28)).reason


def test_early_close_moves_postclose_jobs_only() -> None:
    plan = plan_for(date(2026, 11, 27))  # day after Thanksgiving: NYSE closes 13:00
    assert plan.early_close
    assert [(e.at.strftime("%H:%M"), e.name) for e in plan.phase(PREOPEN)] == list(
        zip(PREOPEN_TIMES, PREOPEN_ORDER, strict=True)
    )
    assert [(e.at.strftime("%H:%M"), e.name) for e in plan.phase(POSTCLOSE)] == list(
        zip(EARLY_CLOSE_TIMES, POSTCLOSE_ORDER, strict=True)
    )


def test_summer_day_uses_new_york_daylight_time() -> None:
    plan = plan_for(date(2026, 7, 2))  # EDT (UTC-4), the day before the Independence Day holiday
    assert plan.entries[0].at.strftime("%H:%M") == "08:00"
    assert plan.entries[0].at.astimezone(UTC).hour == 12
    assert plan_for(date(2026, 7, 3)).entries == ()  # observed holiday


def test_every_registered_job_is_scheduled_exactly_once() -> None:
    from src.jobs.registry import JOBS

    names = [n for _, n in schedule(date(2026, 11, 25))]
    assert sorted(names) == sorted(JOBS)


def _dry_run(day: str, env_extra: dict[str, str] | None = None) -> str:
    import os

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env_extra or {})}
    out = subprocess.run(
        [sys.executable, "scripts/run_schedule.py", "--date", day, "--dry-run"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_dry_run_prints_plan_and_marks_placeholders(home) -> None:
    overrides = '{"intel_pnl": "tests.unit.jobs.no_such_module:run", "exit_day_summary": "tests.unit.jobs.bodies:write_artifact"}'
    text = _dry_run("2026-11-27", {"STOCKBOT_JOB_OVERRIDES": overrides})
    lines = text.splitlines()
    assert "early close" in lines[0] and "16 jobs" in lines[0]
    by_job = {ln.split()[1]: ln for ln in lines[1:]}
    assert by_job["intel_pnl"].split()[0] == "13:25" and by_job["intel_pnl"].endswith("(not implemented yet)")
    assert not by_job["exit_day_summary"].endswith("(not implemented yet)")
    assert [ln.split()[1] for ln in lines[1:]] == PREOPEN_ORDER + POSTCLOSE_ORDER


def test_dry_run_on_holiday_is_empty_with_reason() -> None:
    text = _dry_run("2026-11-26")
    assert text.strip() == "Plan for 2026-11-26: no jobs - 2026-11-26 is not a trading day (NYSE holiday)"
