"""`state/positions.json`: the engine's book (positions + orders in flight + daily bookkeeping).

The broker is the truth; this file is the engine's memory of *why* it holds what it holds
(entry score, components, high-water mark) so exits and trade logs can use it. Orders are
written here *before* they are sent (write-ahead), so an engine killed mid-submit finds the
intent on restart and asks the broker about it by client order id instead of guessing.
Every field has a default: a missing or corrupt file heals to an empty book, and the next
reconciliation refills it from the broker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from src.core.paths import Paths
from src.core.state import load_state, save_state

POSITIONS_SCHEMA_VERSION = 1
Side = Literal["long", "short"]


class Position(BaseModel):
    model_config = ConfigDict(extra="ignore")

    symbol: str = ""
    side: Side = "long"
    qty: float = 0.0
    entry_price: float = 0.0
    entry_ts: str = ""  # ISO-8601 UTC
    trade_id: str = ""
    entry_client_order_id: str = ""
    entry_score: float = 0.0
    last_score: float | None = None
    entry_components: dict[str, float] = Field(default_factory=dict)
    signals: list[str] = Field(default_factory=list)
    regime_snapshot: dict[str, object] = Field(default_factory=dict)
    high_water: float = 0.0  # best price seen in the position's favour
    last_price: float | None = None
    source: Literal["engine", "adopted"] = "engine"
    # exit fills so far (a partial exit leaves the rest open; the trade closes when qty reaches 0)
    exit_filled_qty: float = 0.0
    exit_filled_value: float = 0.0
    realized_pnl: float = 0.0

    def entry_dt(self) -> datetime | None:
        return parse_ts(self.entry_ts)


class PendingOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")

    client_order_id: str = ""
    broker_order_id: str | None = None
    symbol: str = ""
    order_side: Literal["buy", "sell"] = "buy"
    position_side: Side = "long"
    intent: Literal["entry", "exit"] = "entry"
    qty: float = 0.0
    filled_qty: float = 0.0
    filled_value: float = 0.0  # sum of qty x price of the fills booked so far
    status: str = "intent"  # intent = written, not yet acknowledged by the broker
    created_ts: str = ""
    trade_id: str = ""
    reason: str = ""  # exit reason / "displacement"
    score: float = 0.0
    components: dict[str, float] = Field(default_factory=dict)
    signals: list[str] = Field(default_factory=list)
    decision: dict[str, object] = Field(default_factory=dict)


class BookState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_version: int = POSITIONS_SCHEMA_VERSION
    updated_at: str = ""
    positions: dict[str, Position] = Field(default_factory=dict)
    pending: dict[str, PendingOrder] = Field(default_factory=dict)  # by client_order_id
    seq: dict[str, int] = Field(default_factory=dict)  # "<day>|<symbol>|<intent>" -> last number used
    cooldowns: dict[str, str] = Field(default_factory=dict)  # symbol -> ISO end of cooldown
    halted_day: str = ""  # trading day on which the daily loss limit halted entries
    peak_equity: float | None = None

    def pending_for(self, symbol: str) -> list[PendingOrder]:
        return [p for p in self.pending.values() if p.symbol == symbol]


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def load_book(paths: Paths) -> BookState:
    return load_state(paths.positions, BookState, subsystem="engine", paths=paths)


def save_book(paths: Paths, book: BookState, now: datetime) -> None:
    book.updated_at = iso(now)
    save_state(Path(paths.positions), book)
