"""Reconciliation: the broker is the truth; `state/positions.json` is repaired to match it.

Runs at start-up and at the top of every cycle. Orders in flight are followed to their end
(fill, partial fill, reject, cancel, timeout) and turned into positions or closed trades
(`order_follow`, booking through `fills`); then positions are compared here: what the broker
holds and the book lacks is adopted, what the book holds and the broker lacks is dropped,
quantities and sides are corrected. Every repair leaves an event and a log line; nothing is
changed silently. The order-following and fill names are re-exported because callers import
them from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from src.broker.interface import Broker, BrokerPosition
from src.core.clock import trading_day
from src.core.events import emit
from src.core.paths import Paths
from src.engine.config import StrategyV1Config
from src.engine.exits import pnl_pct
from src.engine.fills import QTY_EPS, Repairs, open_entry, record_exit_fill
from src.engine.order_follow import adopt_open_orders, apply_order, follow_pending
from src.engine.positions import BookState, Position, iso, parse_ts
from src.engine.trade_logs import ExitLine, log_exit

__all__ = [
    "QTY_EPS",
    "Repairs",
    "adopt_open_orders",
    "apply_order",
    "follow_pending",
    "prune_daily",
    "reconcile",
    "reconcile_positions",
    "record_exit_fill",
]

SUBSYSTEM = "engine"


def reconcile_positions(
    book: BookState,
    paths: Paths,
    now: datetime,
    cfg: StrategyV1Config,
    broker_positions: list[BrokerPosition],
    repairs: Repairs,
) -> None:
    at_broker = {bp.symbol: bp for bp in broker_positions if bp.qty > QTY_EPS}
    for sym, bp in at_broker.items():
        pos = book.positions.get(sym)
        if pos is not None and pos.side != bp.side:
            emit(
                SUBSYSTEM,
                "position_side_mismatch",
                "error",
                paths=paths,
                symbol=sym,
                state_side=pos.side,
                broker_side=bp.side,
            )
            book.positions.pop(sym, None)
            pos = None
        if pos is None:
            entry = next((p for p in book.pending_for(sym) if p.intent == "entry" and p.position_side == bp.side), None)
            if entry is not None:  # a partially filled entry still open: the position is ours
                open_entry(book, entry, bp.qty, bp.avg_entry_price, now, repairs)
                opened = book.positions.get(sym)
                if opened is not None:
                    opened.qty = bp.qty
                continue
            trade_id = f"adopted-{trading_day(now)}-{sym}"
            book.positions[sym] = Position(
                symbol=sym,
                side=bp.side,
                qty=bp.qty,
                entry_price=bp.avg_entry_price,
                entry_ts=iso(now),
                trade_id=trade_id,
                high_water=bp.avg_entry_price,
                last_price=bp.current_price,
                source="adopted",
            )
            repairs.adopted_positions.append(sym)
            emit(
                SUBSYSTEM,
                "position_adopted",
                "warning",
                paths=paths,
                symbol=sym,
                side=bp.side,
                qty=bp.qty,
                avg_entry_price=bp.avg_entry_price,
            )
            continue
        if abs(pos.qty - bp.qty) > QTY_EPS or (bp.avg_entry_price > 0 and pos.entry_price <= 0):
            emit(
                SUBSYSTEM,
                "position_qty_repaired",
                "warning",
                paths=paths,
                symbol=sym,
                state_qty=pos.qty,
                broker_qty=bp.qty,
            )
            pos.qty = bp.qty
            if pos.entry_price <= 0:
                pos.entry_price = bp.avg_entry_price
            repairs.qty_fixed.append(sym)
    for sym, pos in list(book.positions.items()):
        if sym in at_broker:
            continue
        book.positions.pop(sym, None)
        repairs.dropped_positions.append(sym)
        emit(
            SUBSYSTEM,
            "position_missing_at_broker",
            "error",
            paths=paths,
            symbol=sym,
            qty=pos.qty,
            trade_id=pos.trade_id,
        )
        price = pos.last_price or pos.entry_price
        log_exit(
            paths,
            ExitLine(
                ts=iso(now),
                symbol=sym,
                side=pos.side,
                trade_id=pos.trade_id,
                reason="closed_outside_engine",
                detail="position absent at the broker; exit price is the last price seen",
                entry_price=pos.entry_price,
                exit_price=price,
                qty=pos.qty,
                pnl=0.0,
                pnl_pct=round(pnl_pct(pos.side, pos.entry_price, price), 8),
                time_in_trade_minutes=0.0,
            ),
        )


def reconcile(
    broker: Broker,
    book: BookState,
    paths: Paths,
    now: datetime,
    cfg: StrategyV1Config,
    *,
    foreign_seen: set[str] | None = None,
    quotes: dict[str, float] | None = None,
) -> tuple[Repairs, dict[str, Any]]:
    """Full reconciliation. Raises BrokerError if the broker cannot be read (caller degrades)."""
    repairs = Repairs()
    account = broker.account()
    open_list = broker.open_orders()
    open_orders = {o.client_order_id: o for o in open_list if o.client_order_id}
    follow_pending(broker, book, paths, now, cfg, open_orders, repairs, quotes)
    adopt_open_orders(book, paths, now, cfg, open_orders, repairs, foreign_seen if foreign_seen is not None else set())
    broker_positions = broker.positions()  # read after following orders: fills above are included
    reconcile_positions(book, paths, now, cfg, broker_positions, repairs)
    prune_daily(book, now)
    return repairs, {"account": account, "positions": broker_positions, "open_orders": open_list}


def prune_daily(book: BookState, now: datetime) -> None:
    day = trading_day(now)
    book.seq = {k: v for k, v in book.seq.items() if k.split("|", 1)[0] >= day}
    book.cooldowns = {k: v for k, v in book.cooldowns.items() if (parse_ts(v) or now) > now}
