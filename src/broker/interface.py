"""What the engine needs from a broker, in the engine's own types (no vendor models leak out).

Quantities are positive; the side says the direction. Prices are floats; None means unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

OPEN_STATUSES = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "partially_filled",
        "accepted_for_bidding",
        "pending_replace",
        "held",
        "calculated",
        "pending_cancel",
        "done_for_day",
        "replaced",
    }
)
TERMINAL_STATUSES = frozenset({"filled", "canceled", "expired", "rejected", "stopped", "suspended"})


@dataclass(frozen=True)
class Account:
    equity: float | None
    buying_power: float | None
    last_equity: float | None = None
    cash: float | None = None
    shorting_enabled: bool = False
    trading_blocked: bool = False
    status: str = ""


@dataclass(frozen=True)
class BrokerPosition:
    symbol: str
    side: Literal["long", "short"]
    qty: float  # positive
    avg_entry_price: float
    current_price: float | None = None
    market_value: float | None = None


@dataclass(frozen=True)
class BrokerOrder:
    id: str
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: float
    filled_qty: float
    status: str
    filled_avg_price: float | None = None
    order_type: str = "market"
    submitted_at: datetime | None = None
    filled_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    qty: float
    side: Literal["buy", "sell"]
    client_order_id: str
    order_type: Literal["market", "limit"] = "market"
    limit_price: float | None = None
    time_in_force: Literal["day", "gtc"] = "day"


@dataclass(frozen=True)
class Quote:
    symbol: str
    bid: float | None
    ask: float | None
    last: float | None = None

    @property
    def price(self) -> float | None:
        if self.bid and self.ask and self.bid > 0 and self.ask > 0:
            return (self.bid + self.ask) / 2.0
        for p in (self.last, self.ask, self.bid):
            if p and p > 0:
                return p
        return None


@dataclass(frozen=True)
class MarketClock:
    is_open: bool
    timestamp: datetime | None = None
    next_open: datetime | None = None
    next_close: datetime | None = None


@dataclass(frozen=True)
class AssetInfo:
    symbol: str
    tradable: bool
    shortable: bool
    easy_to_borrow: bool = False
    fractionable: bool = False


class Broker(Protocol):
    def account(self) -> Account: ...

    def positions(self) -> list[BrokerPosition]: ...

    def open_orders(self) -> list[BrokerOrder]: ...

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None: ...

    def submit(self, req: OrderRequest) -> BrokerOrder: ...

    def cancel(self, order_id: str) -> None: ...

    def latest_quotes(self, symbols: list[str]) -> dict[str, Quote]: ...

    def clock(self) -> MarketClock: ...

    def asset(self, symbol: str) -> AssetInfo | None: ...
