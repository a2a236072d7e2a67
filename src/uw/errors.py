"""Typed UW errors, so callers catch a noun (and the daemon can tell quota from outage)."""

from __future__ import annotations

from src.core.errors import StockBotError


class UWError(StockBotError):
    """Base of every UW failure a caller is expected to handle (never ValueError)."""


class UWUniverseRefused(UWError):
    """A symbol-level call for a ticker outside daily_universe ∪ core_universe (contract 4.5)."""


class UWRateLimited(UWError):
    """Refused by the shared limiter (daily budget, per-minute limit) or by UW's 429 after retries."""

    def __init__(self, message: str, *, reason: str = "", retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after_s = retry_after_s


class UWUnavailable(UWError):
    """Network error, timeout or 5xx after retries, and no last good response to fall back on."""


class UWBadResponse(UWError):
    """UW answered, but not with what the spec promises (malformed JSON, wrong shape, 4xx)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
