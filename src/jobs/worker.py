"""The RQ worker the intel and telemetry services run, and the check their healthchecks use.

Two things differ from a stock `rq worker`: the connection waits out a Redis outage instead of
failing (see `connection.py`), and the worker re-registers itself when its Redis record has
vanished (a Redis restart without persistence), so `Worker.all`, rq-dashboard and the
healthcheck still see it afterwards. The worker also runs RQ's scheduler, which is what moves
jobs waiting for a retry back onto their queues.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import redis
from rq import Queue, Worker, worker_registration
from rq.cron import CronScheduler
from rq.utils import utcformat

from src.core.clock import NY, MarketCalendar
from src.core.settings import Settings
from src.jobs.connection import resilient
from src.jobs.enqueue import on_horse_killed
from src.jobs.registry import EXIT, INTEL, SCHEDULE, TELEMETRY

ROLES: dict[str, tuple[str, ...]] = {
    "intel-worker": (SCHEDULE, INTEL, EXIT),
    "telemetry-worker": (SCHEDULE, TELEMETRY),
}


class ResilientWorker(Worker):
    """An rq Worker that restores its registration after Redis lost it."""

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:  # type: ignore[no-untyped-def]
        super().heartbeat(timeout, pipeline=pipeline)
        if pipeline is not None:
            worker_registration.register(self, pipeline)
            return
        if not self.connection.hexists(self.key, "birth"):
            with self.connection.pipeline() as p:
                if self.birth_date is None:
                    self.birth_date = datetime.now(UTC)
                p.hset(self.key, mapping={**self.serialize(), "state": self.get_state() or "idle"})
                p.hset(self.key, "last_heartbeat", utcformat(self.last_heartbeat))
                worker_registration.register(self, p)
                p.expire(self.key, timeout or self.worker_ttl + 60)
                p.execute()
            self.log.warning("Worker %s: registration was lost (Redis restarted?); re-registered", self.name)


def worker_name(role: str) -> str:
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


def queue_names(role: str, namespace: str = "") -> list[str]:
    return [f"{namespace}{q}" for q in ROLES[role]]


def build_worker(role: str, settings: Settings, connection: redis.Redis | None = None) -> ResilientWorker:
    conn = connection or resilient(settings.redis_url)
    queues = [Queue(q, connection=conn) for q in queue_names(role, settings.jobs_namespace)]
    return ResilientWorker(
        queues,
        name=worker_name(role),
        connection=conn,
        worker_ttl=settings.worker_ttl_s,
        job_monitoring_interval=min(30, max(5, settings.worker_ttl_s // 2)),
        work_horse_killed_handler=on_horse_killed,
    )


def run_worker(role: str, settings: Settings, *, burst: bool = False) -> bool:
    # load the calendar once here, so every forked work horse (each tick) inherits it
    MarketCalendar().session(datetime.now(NY).date())
    return build_worker(role, settings).work(burst=burst, with_scheduler=True, logging_level="INFO")


def worker_health(
    conn: redis.Redis, role: str, *, hostname: str | None = None, max_age_s: float, now: datetime | None = None
) -> tuple[bool, str]:
    """Healthy when a worker of this role on this host sent a heartbeat within max_age_s."""
    host = hostname or socket.gethostname()
    now = now or datetime.now(UTC)
    mine = [w for w in Worker.all(connection=conn) if w.hostname == host and w.name.startswith(f"{role}-")]
    if not mine:
        return False, f"no {role} worker registered for host {host}"
    ages = []
    for w in mine:
        beat = w.last_heartbeat
        if beat is not None:
            ages.append(((now - beat.replace(tzinfo=beat.tzinfo or UTC)).total_seconds(), w.name))
    if not ages:
        return False, f"{role} worker(s) on {host} never sent a heartbeat"
    age, name = min(ages)
    if age > max_age_s:
        return False, f"{name}: last heartbeat {age:.0f}s ago (limit {max_age_s:.0f}s)"
    return True, f"{name}: last heartbeat {age:.0f}s ago"


def scheduler_health(
    conn: redis.Redis, *, hostname: str | None = None, max_age_s: float, now: datetime | None = None
) -> tuple[bool, str]:
    """Healthy when an `rq cron` scheduler on this host sent a heartbeat within max_age_s."""
    host = hostname or socket.gethostname()
    now = now or datetime.now(UTC)
    beats = []
    for s in CronScheduler.all(conn):
        if s.hostname == host and s.last_heartbeat is not None:
            beats.append(((now - s.last_heartbeat).total_seconds(), s.name))
    if not beats:
        return False, f"no rq cron scheduler registered for host {host}"
    age, name = min(beats)
    if age > max_age_s:
        return False, f"scheduler {name}: last heartbeat {age:.0f}s ago (limit {max_age_s:.0f}s)"
    return True, f"scheduler {name}: last heartbeat {age:.0f}s ago"


def worker_main(role: str, description: str, argv: list[str] | None = None) -> int:
    """The command line every worker service shares: runs until SIGTERM, or `--burst`."""
    import argparse

    from src.jobs.enqueue import settings_or_default

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--burst", action="store_true", help="process what is queued, then exit")
    args = parser.parse_args(argv)
    # an invalid trading config must not stop the job plane: jobs then fail one by one, visibly
    run_worker(role, settings_or_default(), burst=args.burst)
    return 0
