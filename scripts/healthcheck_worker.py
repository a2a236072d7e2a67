"""Container healthcheck of an RQ worker (or the rq cron scheduler): it beat recently.

    python scripts/healthcheck_worker.py --role intel-worker
    python scripts/healthcheck_worker.py --role scheduler

Exit 0 when a worker of that role registered from this host sent a heartbeat within the limit
(default: worker TTL + 60 s; an idle worker beats every TTL - 15 s, a busy one every <= 30 s),
1 otherwise (including Redis unreachable: a worker without Redis does no work). The scheduler
role checks rq cron's own registry; it beats at least once per tick interval.
"""

from __future__ import annotations

import argparse
import sys

import redis

from src.jobs.connection import fail_fast
from src.jobs.enqueue import settings_or_default
from src.jobs.worker import ROLES, scheduler_health, worker_health


def main(argv: list[str] | None = None) -> int:
    settings = settings_or_default()
    p = argparse.ArgumentParser(description="RQ worker heartbeat healthcheck")
    p.add_argument("--role", choices=[*sorted(ROLES), "scheduler"], required=True)
    p.add_argument("--max-age-s", type=float, default=None, help="default: worker TTL + 60 s / 2 ticks + 60 s")
    args = p.parse_args(argv)
    try:
        conn = fail_fast(settings.redis_url, 3.0)
        if args.role == "scheduler":
            limit = args.max_age_s or float(2 * min(settings.schedule_tick_s, 60) + 60)
            ok, msg = scheduler_health(conn, max_age_s=limit)
        else:
            limit = args.max_age_s or float(settings.worker_ttl_s + 60)
            ok, msg = worker_health(conn, args.role, max_age_s=limit)
    except redis.RedisError as exc:
        ok, msg = False, f"Redis unreachable ({type(exc).__name__})"
    print(("healthy: " if ok else "UNHEALTHY: ") + msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
