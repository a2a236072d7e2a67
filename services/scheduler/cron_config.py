"""rq cron configuration: `rq cron services/scheduler/cron_config.py` (TZ=America/New_York).

One entry: every `STOCKBOT_SCHEDULE_TICK_S` seconds (default 60) the dispatcher tick goes on the
`schedule` queue. The tick reads today's plan from the NYSE calendar and enqueues what is due,
de-duplicated per job and day, so holidays, early closes and the contract order live in
`src/jobs/schedule.py`, not in crontab lines. A tick not picked up within its interval expires
(`ttl`) instead of piling up behind a long job.

Run with `--connection-class src.jobs.connection.ResilientRedis` so the scheduler waits out a
Redis outage instead of exiting.
"""

from __future__ import annotations

from rq import cron

from src.jobs.dispatch import tick
from src.jobs.enqueue import settings_or_default
from src.jobs.registry import SCHEDULE

_settings = settings_or_default()
_interval = _settings.schedule_tick_s

cron.register(
    tick,
    queue_name=f"{_settings.jobs_namespace}{SCHEDULE}",
    interval=_interval,
    ttl=max(_interval, 30),
    result_ttl=3600,  # an hour of ticks in rq-dashboard is enough to see the scheduler alive
    job_timeout=120,
    name="stockbot-schedule-tick",
)
