"""Booking fills into the book: entry fills open or grow a position, exit fills close it.

Both the live order path (a broker answer right after submit) and reconciliation (an order or
position found at the broker later) book fills here, so a fill is booked the same way however
the engine learns of it. A full close writes the exits and master trade log lines and starts the
symbol's cooldown; every change is noted in `Repairs` so callers can count what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from src.core.paths import Paths
from src.engine.config import StrategyV1Config
from src.engine.exits import pnl_pct
from src.engine.positions import BookState, PendingOrder, Position, iso
from src.engine.risk import cooldown_end
from src.engine.trade_logs import (
    AttributionLine,
    ExitLine,
    MasterTradeLine,
    log_exit,
    log_master_trade,
)

QTY_EPS = 1e-6


@dataclass
class Repairs:
    """What a reconciliation changed, for counters and tests."""

    adopted_positions: list[str] = field(default_factory=list)
    dropped_positions: list[str] = field(default_factory=list)
    qty_fixed: list[str] = field(default_factory=list)
    adopted_orders: list[str] = field(default_factory=list)
    dropped_intents: list[str] = field(default_factory=list)
    fills: list[str] = field(default_factory=list)
    closed_trades: list[str] = field(default_factory=list)
    attribution: list[AttributionLine] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.adopted_positions,
                self.dropped_positions,
                self.qty_fixed,
                self.adopted_orders,
                self.dropped_intents,
                self.fills,
                self.closed_trades,
            )
        )


# -- closing trades ------------------------------------------------------------------------
def record_exit_fill(
    book: BookState,
    paths: Paths,
    now: datetime,
    cfg: StrategyV1Config,
    pos: Position,
    qty: float,
    price: float,
    reason: str,
    cid: str,
    repairs: Repairs,
    detail: str = "",
) -> None:
    """Book an exit fill of `qty` at `price`; a full close writes exits + master trade log lines."""
    qty = min(qty, pos.qty)
    if qty <= QTY_EPS:
        return
    entered = pos.entry_dt()
    minutes = max(0.0, (now - entered).total_seconds() / 60.0) if entered else 0.0
    sign = 1.0 if pos.side == "long" else -1.0
    pnl = round(sign * (price - pos.entry_price) * qty, 6)
    remaining = round(pos.qty - qty, 9)
    partial = remaining > QTY_EPS
    log_exit(
        paths,
        ExitLine(
            ts=iso(now),
            symbol=pos.symbol,
            side=pos.side,
            trade_id=pos.trade_id,
            reason=reason,
            detail=detail,
            entry_price=pos.entry_price,
            exit_price=price,
            qty=qty,
            pnl=pnl,
            pnl_pct=round(pnl_pct(pos.side, pos.entry_price, price), 8),
            time_in_trade_minutes=round(minutes, 3),
            partial=partial,
            client_order_id=cid,
        ),
    )
    pos.exit_filled_qty += qty
    pos.exit_filled_value += qty * price
    pos.realized_pnl += pnl
    if partial:
        pos.qty = remaining
        return
    size = pos.exit_filled_qty
    log_master_trade(
        paths,
        MasterTradeLine(
            ts=iso(now),
            trade_id=pos.trade_id or f"untracked-{pos.symbol}-{iso(now)}",
            symbol=pos.symbol,
            side=pos.side,
            entry_ts=pos.entry_ts or iso(now),
            exit_ts=iso(now),
            entry_price=pos.entry_price,
            exit_price=round(pos.exit_filled_value / size, 6) if size > 0 else price,
            size=size,
            realized_pnl_usd=round(pos.realized_pnl, 6),
            signals=list(pos.signals),
            feature_snapshot={
                "entry_score": pos.entry_score,
                "exit_score": pos.last_score,
                "components": dict(pos.entry_components),
            },
            regime_snapshot=dict(pos.regime_snapshot),
            exit_reason=reason,
        ),
    )
    book.positions.pop(pos.symbol, None)
    book.cooldowns[pos.symbol] = iso(cooldown_end(now, cfg))
    repairs.closed_trades.append(pos.trade_id)


# -- opening trades ------------------------------------------------------------------------
def open_entry(book: BookState, p: PendingOrder, qty: float, price: float, now: datetime, repairs: Repairs) -> None:
    """Book `qty` more shares of an entry order (first fill creates the position)."""
    pos = book.positions.get(p.symbol)
    if pos is not None and pos.side == p.position_side:
        if pos.trade_id == p.client_order_id:
            pos.qty = round(pos.qty + qty, 9)
            pos.entry_price = round(p.filled_value / p.filled_qty, 6) if p.filled_qty > 0 else price
        elif pos.source == "adopted":
            # reconciliation adopted this fill before it saw the order (its qty is already the
            # broker's): restore the decision that made it
            pos.trade_id, pos.entry_client_order_id, pos.source = p.client_order_id, p.client_order_id, "engine"
            pos.entry_score, pos.entry_components, pos.signals = p.score, dict(p.components), list(p.signals)
        return
    book.positions[p.symbol] = Position(
        symbol=p.symbol,
        side=p.position_side,
        qty=qty,
        entry_price=price,
        entry_ts=iso(now),
        trade_id=p.client_order_id,
        entry_client_order_id=p.client_order_id,
        entry_score=p.score,
        last_score=p.score,
        entry_components=dict(p.components),
        signals=list(p.signals),
        high_water=price,
        last_price=price,
    )
    missing = p.decision.get("missing")
    clusters = p.decision.get("clusters")
    repairs.attribution.append(
        AttributionLine(
            ts=iso(now),
            symbol=p.symbol,
            side=p.position_side,
            trade_id=p.client_order_id,
            client_order_id=p.client_order_id,
            score=p.score,
            components=dict(p.components),
            signals=list(p.signals),
            missing=[str(m) for m in missing] if isinstance(missing, list) else [],
            clusters=clusters if isinstance(clusters, int) else 0,
            qty=qty,
            entry_price=price,
            via="displacement" if p.reason == "displacement" else "entry",
        )
    )
