"""The telemetry-worker service: an RQ worker on the schedule and telemetry queues.

`python services/telemetry-worker/worker.py` runs until SIGTERM (a job in progress finishes first);
`--burst` drains the queues and exits. Redis outages are waited out (src/jobs/worker.py).
"""

from __future__ import annotations

import sys

from src.jobs.worker import worker_main

if __name__ == "__main__":
    sys.exit(worker_main("telemetry-worker", __doc__.splitlines()[0]))
