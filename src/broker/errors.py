"""Typed broker errors, so an engine step catches a noun and decides: retry later, repair, or log.

`ambiguous` marks a submit whose outcome is unknown (timeout, connection dropped after the
request left, unreadable answer): the order may exist at the broker. The engine never
re-sends it blindly; the next reconciliation asks the broker by client order id.
"""

from __future__ import annotations

from src.core.errors import StockBotError


class BrokerError(StockBotError):
    def __init__(self, message: str, *, status: int | None = None, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.ambiguous = ambiguous


class BrokerUnavailable(BrokerError):
    """Network failure, timeout or 5xx: the broker could not be asked."""


class BrokerAuthError(BrokerError):
    """401/403 outside order submission: credentials or permissions."""


class BrokerRateLimited(BrokerError):
    """429."""


class OrderRejected(BrokerError):
    """The broker refused the order (buying power, not shortable, invalid qty ...)."""


class DuplicateClientOrderId(OrderRejected):
    """An order with this client_order_id already exists (a restart re-deciding the same order)."""


class OrderNotFound(BrokerError):
    """404 for an order id or client order id."""


class BrokerProtocolError(BrokerError):
    """The broker answered something the client could not parse."""
