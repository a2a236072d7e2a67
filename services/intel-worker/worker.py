"""The intel-worker service: an RQ worker on the schedule, intel and exit queues.

`python services/intel-worker/worker.py` runs until SIGTERM (a job in progress finishes first);
`--burst` drains the queues and exits. Redis outages are waited out (src/jobs/worker.py).
"""

from __future__ import annotations

import argparse
import sys

from src.jobs.enqueue import settings_or_default
from src.jobs.worker import run_worker

ROLE = "intel-worker"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="process what is queued, then exit")
    args = parser.parse_args(argv)
    # an invalid trading config must not stop the job plane: jobs then fail one by one, visibly
    run_worker(ROLE, settings_or_default(), burst=args.burst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
