"""Container healthcheck of an RQ worker: this host's worker of the role beat recently.

    python scripts/healthcheck_worker.py --role intel-worker

Exit 0 when a worker of that role registered from this host sent a heartbeat within the limit
(default: worker TTL + 60 s; an idle worker beats every TTL - 15 s, a busy one every <= 30 s),
1 otherwise (including Redis unreachable: a worker without Redis does no work).
"""

from __future__ import annotations

import argparse
import sys

import redis

from src.jobs.connection import fail_fast
from src.jobs.enqueue import settings_or_default
from src.jobs.worker import ROLES, worker_health


def main(argv: list[str] | None = None) -> int:
    settings = settings_or_default()
    p = argparse.ArgumentParser(description="RQ worker heartbeat healthcheck")
    p.add_argument("--role", choices=sorted(ROLES), required=True)
    p.add_argument("--max-age-s", type=float, default=float(settings.worker_ttl_s + 60))
    args = p.parse_args(argv)
    try:
        ok, msg = worker_health(fail_fast(settings.redis_url, 3.0), args.role, max_age_s=args.max_age_s)
    except redis.RedisError as exc:
        ok, msg = False, f"Redis unreachable ({type(exc).__name__})"
    print(("healthy: " if ok else "UNHEALTHY: ") + msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
