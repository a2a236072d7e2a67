"""Redis connections for the job plane that ride out a Redis outage.

`rq cron` exits on the first ConnectionError and an rq worker quits on some of them; both are
given this class (`rq cron --connection-class src.jobs.connection.ResilientRedis`, and the
workers build their connection here), so every Redis command waits, with capped backoff, until
Redis answers again instead of killing the process. Scripts that only enqueue use a plain,
fail-fast connection: an operator should see an error, not a hang.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

RETRY_FOREVER = -1


class ResilientRedis(redis.Redis):
    """A Redis client whose commands retry on connection loss until Redis is back."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ResilientRedis:  # type: ignore[override]
        kwargs.setdefault("retry", Retry(ExponentialBackoff(cap=5.0, base=0.25), RETRY_FOREVER))
        kwargs.setdefault("retry_on_error", [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError])
        kwargs.setdefault("socket_connect_timeout", 5)
        kwargs.setdefault("socket_keepalive", True)
        kwargs.setdefault("health_check_interval", 30)
        return super().from_url(url, **kwargs)  # type: ignore[return-value]


def resilient(url: str) -> ResilientRedis:
    return ResilientRedis.from_url(url)


def fail_fast(url: str, timeout_s: float = 5.0) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
