"""Putting a job on its queue at most once per trading day, with retries and a failure event.

RQ does not refuse a second enqueue with an existing job id: it pushes the id again and the job
runs twice. So the id is keyed `name-YYYY-MM-DD` and guarded twice: the job's own record (if it
exists in any state, the enqueue is refused) and an atomic `SET NX` reservation that closes the
race between two enqueuers checking at the same moment. The reservation is short-lived until the
job is on the queue, so a process killed in between cannot block the day's job for long.

Retries use RQ's `Retry`; the failure callback runs after every failed attempt and emits
`job_failed` only for the last one, so one failed job leaves exactly one event.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

import redis
from pydantic import BaseModel
from rq import Callback, Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from src.core.events import emit
from src.core.settings import Settings, load_settings
from src.jobs.registry import get_spec, queue_name

GUARD_PREFIX = "stockbot:jobs:guard:"
MISSED_PREFIX = "stockbot:jobs:missed:"
RESERVE_TTL_S = 60
GUARD_TTL_S = 8 * 86400
RESULT_TTL_S = 7 * 86400
TERMINAL = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})
RESERVED = "reserved"  # guard held but no job record yet (another enqueuer is mid-way)
SUBSYSTEM = "jobs"


class EnqueueOutcome(BaseModel):
    job_id: str
    queue: str
    enqueued: bool
    status: str | None = None  # the existing job's status when refused
    reason: str = ""


def settings_or_default() -> Settings:
    """Settings for the job plane itself, which must keep running when the trading config is
    invalid (e.g. paper mode without keys): the jobs then fail one by one, visibly, instead."""
    try:
        return load_settings()
    except Exception:  # noqa: BLE001 - fall back below
        pass
    try:
        return load_settings(mode="sim", composite_version="v1")
    except Exception:  # noqa: BLE001 - last resort: defaults, but still the configured Redis
        return Settings.model_construct(redis_url=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")


def job_id_for(name: str, day: str, namespace: str = "") -> str:
    get_spec(name)
    return f"{namespace}{name}-{day}"


def retry_policy(settings: Settings) -> Retry | None:
    if settings.job_retries <= 0:
        return None
    base = settings.job_retry_interval_s
    return Retry(max=settings.job_retries, interval=[base * 2**k for k in range(settings.job_retries)])


def job_state(conn: redis.Redis, job_id: str) -> str | None:
    """The job's RQ status, RESERVED while another enqueuer holds the guard, None if neither."""
    try:
        status = Job.fetch(job_id, connection=conn).get_status(refresh=False)
    except NoSuchJobError:
        status = None
    if status is not None:
        return status.value if isinstance(status, JobStatus) else str(status)
    if conn.get(GUARD_PREFIX + job_id) == b"reserving":
        return RESERVED
    return None


def _drop_terminal(conn: redis.Redis, job_id: str) -> str | None:
    """For --force: delete a finished/failed job so it can run again; refuse a live one."""
    try:
        job = Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        conn.delete(GUARD_PREFIX + job_id)
        return None
    status = job.get_status(refresh=False)
    if status not in TERMINAL:
        return status.value if isinstance(status, JobStatus) else str(status)
    job.delete()
    conn.delete(GUARD_PREFIX + job_id)
    return None


def enqueue_job(
    name: str,
    day: str,
    options: dict[str, Any] | None = None,
    *,
    connection: redis.Redis,
    settings: Settings | None = None,
    source: str = "cli",
    force: bool = False,
) -> EnqueueOutcome:
    """Enqueue `name` for `day` unless it already exists for that day (any state)."""
    settings = settings or settings_or_default()
    ns = settings.jobs_namespace
    job_id = job_id_for(name, day, ns)
    qname = queue_name(name, ns)
    if force:
        live = _drop_terminal(connection, job_id)
        if live is not None:
            return EnqueueOutcome(job_id=job_id, queue=qname, enqueued=False, status=live, reason="job is still active")
    state = job_state(connection, job_id)
    if state is not None:
        return EnqueueOutcome(
            job_id=job_id, queue=qname, enqueued=False, status=state, reason=f"already {state} for {day}"
        )
    guard = GUARD_PREFIX + job_id
    if not connection.set(guard, b"reserving", nx=True, ex=RESERVE_TTL_S):
        return EnqueueOutcome(job_id=job_id, queue=qname, enqueued=False, status=RESERVED, reason="being enqueued")
    try:
        Queue(qname, connection=connection).enqueue(
            "src.jobs.runner.perform",
            args=(name, day, dict(options or {})),
            job_id=job_id,
            description=f"{name} {day}",
            job_timeout=settings.job_timeout_s,
            result_ttl=RESULT_TTL_S,
            failure_ttl=RESULT_TTL_S,
            retry=retry_policy(settings),
            on_failure=Callback(on_job_failure),
            meta={
                "job": name,
                "day": day,
                "source": source,
                "retries": settings.job_retries,
                "host": socket.gethostname(),
                "pid": os.getpid(),
            },
        )
    except BaseException:
        connection.delete(guard)
        raise
    connection.set(guard, b"enqueued", ex=GUARD_TTL_S)
    return EnqueueOutcome(job_id=job_id, queue=qname, enqueued=True, status=JobStatus.QUEUED.value)


def is_final_attempt(job: Job) -> bool:
    return not (job.retries_left and job.retries_left > 0)


def on_job_failure(job: Job, connection: redis.Redis, exc_type: Any, exc_value: Any, tb: Any) -> None:
    """RQ failure callback: one `job_failed` event when no retry is left."""
    if not is_final_attempt(job):
        return
    _emit_job_failed(job, getattr(exc_type, "__name__", str(exc_type)), str(exc_value)[:500])


def _emit_job_failed(job: Job, error_type: str, error: str) -> None:
    meta = job.meta or {}
    emit(
        SUBSYSTEM,
        "job_failed",
        "error",
        job=meta.get("job", job.func_name),
        day=meta.get("day"),
        job_id=job.id,
        queue=job.origin,
        attempts=int(meta.get("retries") or 0) - int(job.retries_left or 0) + 1,
        error_type=error_type,
        error=error,
        via="rq",
    )


def on_horse_killed(job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
    """Worker hook for a work horse that died (OOM kill, SIGKILL): RQ skips the failure callback
    then, so the final attempt's event is emitted here."""
    if not is_final_attempt(job):
        return
    sig = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
    detail = f"work horse {retpid} ended with status {ret_val}" + (f" (signal {sig})" if sig else "")
    _emit_job_failed(job, "WorkHorseKilled", detail)


def mark_missed(connection: redis.Redis, name: str, day: str, namespace: str, at: datetime, deadline: datetime) -> bool:
    """One `job_missed` event per job and day when its window passed before it could be queued."""
    job_id = job_id_for(name, day, namespace)
    if not connection.set(MISSED_PREFIX + job_id, b"1", nx=True, ex=2 * 86400):
        return False
    emit(
        SUBSYSTEM,
        "job_missed",
        "warning",
        job=name,
        day=day,
        job_id=job_id,
        scheduled_at=at.astimezone(UTC).isoformat(),
        deadline=deadline.astimezone(UTC).isoformat(),
    )
    return True
