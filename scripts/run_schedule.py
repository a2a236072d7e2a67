"""Print the job plan for a date, or run one schedule tick now.

    python scripts/run_schedule.py --date 2026-11-27 --dry-run   # the plan (default action)
    python scripts/run_schedule.py --tick                        # enqueue what is due right now

The plan comes from src/jobs/schedule.py (NYSE calendar: empty on holidays and weekends, post-close
jobs follow early closes). Jobs whose body does not exist yet are marked "(not implemented yet)".
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from src.core.clock import NY, MarketCalendar, clock_from_env, trading_day
from src.jobs.enqueue import settings_or_default
from src.jobs.registry import get_spec, is_implemented
from src.jobs.schedule import plan_for

PLACEHOLDER = "(not implemented yet)"


def render(day: date, overrides: dict[str, str] | None = None) -> tuple[str, list[dict]]:
    plan = plan_for(day, MarketCalendar())
    if not plan.entries:
        return f"Plan for {day.isoformat()}: no jobs - {plan.reason}", []
    session = MarketCalendar().session(day)
    assert session is not None
    hours = f"{session.open.astimezone(NY):%H:%M}-{session.close.astimezone(NY):%H:%M}"
    kind = "early close" if plan.early_close else "regular session"
    rows, lines = [], [f"Plan for {day.isoformat()} (NYSE {kind} {hours} New York), {len(plan.entries)} jobs:"]
    for e in plan.entries:
        implemented = is_implemented(e.name, overrides)
        queue = get_spec(e.name).queue
        rows.append(
            {"at": e.at.isoformat(), "job": e.name, "queue": queue, "phase": e.phase, "implemented": implemented}
        )
        tag = "" if implemented else f"  {PLACEHOLDER}"
        lines.append(f"  {e.at:%H:%M}  {e.name:<24} {queue:<10} {e.phase:<9}{tag}".rstrip())
    return "\n".join(lines), rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Show the daily job plan or run one schedule tick.")
    p.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today in New York)")
    p.add_argument("--dry-run", action="store_true", help="print the plan only (the default)")
    p.add_argument("--tick", action="store_true", help="enqueue the jobs due now (needs Redis)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    args = p.parse_args(argv)
    settings = settings_or_default()
    if args.tick and not args.dry_run:
        from src.jobs.connection import fail_fast
        from src.jobs.dispatch import run_tick

        out = run_tick(fail_fast(settings.redis_url), clock_from_env().now())
        print(json.dumps(out, sort_keys=True) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
        return 0
    day = args.date or date.fromisoformat(trading_day(clock_from_env().now()))
    text, rows = render(day, settings.job_overrides)
    print(json.dumps({"day": day.isoformat(), "plan": rows}, sort_keys=True) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
