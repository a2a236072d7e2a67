"""The schedule tick: enqueue today's due jobs, one at a time, in the plan's order.

`rq cron` enqueues `tick` every `schedule_tick_s` seconds onto the `schedule` queue (both
workers listen to it first). Each tick rebuilds today's plan from the calendar, so holidays and
early closes need no crontab lines, and walks each phase in order: a job is queued only once its
time has come and every job before it in the phase has ended (finished or failed), so the
contract's order holds across the intel, exit and telemetry queues. Enqueueing goes through the
de-duplicating `enqueue_job`, so ticks are idempotent and any number of them is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from src.core.clock import MarketCalendar, clock_from_env, trading_day
from src.jobs.connection import resilient
from src.jobs.enqueue import (
    RESERVED,
    TERMINAL,
    enqueue_job,
    job_id_for,
    job_state,
    mark_missed,
    settings_or_default,
)
from src.jobs.schedule import POSTCLOSE, PREOPEN, DayPlan, PlanEntry, plan_for

_TERMINAL_VALUES = frozenset(s.value for s in TERMINAL)


@dataclass
class Decision:
    enqueue: list[PlanEntry] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # due but blocked by a job still running
    missed: list[PlanEntry] = field(default_factory=list)


def decide(plan: DayPlan, states: Mapping[str, str | None], now: datetime) -> Decision:
    """Pure: which entries to enqueue now, given each job's current state (None = never queued)."""
    out = Decision()
    for phase in (PREOPEN, POSTCLOSE):
        for entry in plan.phase(phase):
            if now < entry.at:
                break
            state = states.get(entry.name)
            if state is None:
                if now > entry.deadline:
                    out.missed.append(entry)
                    continue
                out.enqueue.append(entry)
                break
            if state in _TERMINAL_VALUES:
                continue
            out.waiting.append(entry.name)
            break
    return out


def run_tick(conn: redis.Redis, now: datetime, calendar: MarketCalendar | None = None) -> dict[str, Any]:
    settings = settings_or_default()
    ns = settings.jobs_namespace
    day = trading_day(now)
    plan = plan_for(datetime.fromisoformat(day).date(), calendar)
    if not plan.entries:
        return {"day": day, "now": now.isoformat(), "plan": "empty", "reason": plan.reason}
    states: dict[str, str | None] = {}
    for entry in plan.entries:
        if now >= entry.at:
            states[entry.name] = job_state(conn, job_id_for(entry.name, day, ns))
    decision = decide(plan, states, now)
    enqueued, refused = [], []
    for entry in decision.enqueue:
        outcome = enqueue_job(entry.name, day, {}, connection=conn, settings=settings, source="schedule")
        (enqueued if outcome.enqueued else refused).append(outcome.job_id)
    missed = [e.name for e in decision.missed if mark_missed(conn, e.name, day, ns, e.at, e.deadline)]
    return {
        "day": day,
        "now": now.isoformat(),
        "enqueued": enqueued,
        "refused": refused,
        "waiting": decision.waiting,
        "missed_now": missed,
        "reserved": [n for n, s in states.items() if s == RESERVED],
    }


def tick() -> dict[str, Any]:
    """The function `rq cron` enqueues (src.jobs.dispatch.tick)."""
    from rq import get_current_job

    job = get_current_job()
    conn = job.connection if job is not None else resilient(settings_or_default().redis_url)
    return run_tick(conn, clock_from_env().now())
