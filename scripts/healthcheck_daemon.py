"""Container healthcheck of the UW flow daemon: its lock is held and its cache is fresh.

Exit 0 when healthy, 1 otherwise, with one line saying why. Read-only: the cache is inspected,
never healed (it belongs to the daemon). The lock test tries a non-blocking flock on a separate
descriptor and releases it at once: if it succeeds nobody holds the lock. (A daemon starting in
that microsecond would see the lock taken, log `uw_flow_daemon_already_running` and be restarted
by its restart policy: the probe cannot starve it.)
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from pathlib import Path

from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state
from src.jobs.enqueue import settings_or_default
from src.uw.flow_cache import FlowCache


def lock_held(path: Path) -> tuple[bool, str]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False, f"lock {path.name} missing"
    except OSError as exc:
        return False, f"lock {path.name} unreadable ({exc.strerror})"
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip().replace("\n", " ")
            return True, f"lock held ({holder[:120]})" if holder else "lock held"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, f"lock {path.name} not held by any process"
    finally:
        os.close(fd)


def cache_age(path: Path, now: float) -> tuple[float | None, str]:
    res = inspect_state(path, FlowCache)
    if res.status is not LoadStatus.ok or res.value is None:
        return None, f"cache {res.status.value}{': ' + res.error if res.error else ''}"
    age = res.value.age_seconds(now)
    if age is None:
        return None, "cache never written by a daemon (_meta.written_at missing)"
    return age, f"cache {age:.0f}s old"


def check(paths: Paths, max_age_s: float, now: float | None = None) -> tuple[bool, str]:
    held, lock_msg = lock_held(paths.uw_daemon_lock)
    age, cache_msg = cache_age(paths.uw_flow_cache, time.time() if now is None else now)
    fresh = age is not None and age <= max_age_s
    if age is not None and not fresh:
        cache_msg += f" (limit {max_age_s:.0f}s)"
    return held and fresh, f"{lock_msg}; {cache_msg}"


def main(argv: list[str] | None = None) -> int:
    settings = settings_or_default()
    p = argparse.ArgumentParser(description="UW daemon healthcheck (lock held + fresh cache)")
    p.add_argument(
        "--max-age-s",
        type=float,
        default=max(300.0, 10 * float(getattr(settings, "uw_cycle_s", 15.0))),
        help="oldest acceptable _meta.written_at (default: max(300 s, 10 daemon cycles))",
    )
    args = p.parse_args(argv)
    ok, msg = check(Paths.from_env(), args.max_age_s)
    print(("healthy: " if ok else "UNHEALTHY: ") + msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
