"""Following orders to their end: the broker's word on each order moves the book forward.

An order the engine sent (or finds open at the broker with the engine's client-order-id prefix)
is followed until it is filled, partially filled, rejected, canceled or timed out; each new fill
is booked through `fills`. An intent the broker never received is dropped, an order open too
long is canceled, and a foreign order is reported once and never touched.
"""

from __future__ import annotations

from datetime import datetime

from src.broker.errors import BrokerError
from src.broker.interface import Broker, BrokerOrder
from src.core.events import emit
from src.core.paths import Paths
from src.engine.config import StrategyV1Config
from src.engine.fills import QTY_EPS, Repairs, open_entry, record_exit_fill
from src.engine.orders import order_line, parse_client_order_id
from src.engine.positions import BookState, PendingOrder, iso, parse_ts
from src.engine.trade_logs import log_order

SUBSYSTEM = "engine"


def apply_order(
    book: BookState,
    paths: Paths,
    now: datetime,
    cfg: StrategyV1Config,
    p: PendingOrder,
    order: BrokerOrder,
    repairs: Repairs,
    fallback_price: float | None = None,
) -> None:
    """Move one pending order forward to what the broker says about it (fills book as they come)."""
    p.broker_order_id = order.id or p.broker_order_id
    p.status = order.status
    newly = round(order.filled_qty - p.filled_qty, 9)
    if newly > QTY_EPS:
        avg = order.filled_avg_price or fallback_price or 0.0
        value = avg * order.filled_qty - p.filled_value
        price = value / newly if value > 0 else avg
        if price > 0:
            p.filled_qty, p.filled_value = order.filled_qty, p.filled_value + newly * price
            repairs.fills.append(p.client_order_id)
            event = "partial_fill" if order.filled_qty < p.qty - QTY_EPS else "fill"
            log_order(paths, order_line(event, p, now, price=round(price, 6)))
            if p.intent == "entry":
                open_entry(book, p, newly, round(price, 6), now, repairs)
            else:
                pos = book.positions.get(p.symbol)
                if pos is not None:
                    reason = p.reason or "exit"
                    record_exit_fill(
                        book, paths, now, cfg, pos, newly, round(price, 6), reason, p.client_order_id, repairs
                    )
    if order.is_terminal:
        book.pending.pop(p.client_order_id, None)
        if order.status != "filled":
            event = {"rejected": "reject", "canceled": "cancel", "expired": "cancel"}.get(order.status, order.status)
            log_order(paths, order_line(event, p, now))


def follow_pending(
    broker: Broker,
    book: BookState,
    paths: Paths,
    now: datetime,
    cfg: StrategyV1Config,
    open_orders: dict[str, BrokerOrder],
    repairs: Repairs,
    quotes: dict[str, float] | None = None,
) -> None:
    for cid, p in list(book.pending.items()):
        order = open_orders.get(cid)
        if order is None:
            order = broker.order_by_client_id(cid)
        if order is None:
            book.pending.pop(cid, None)
            repairs.dropped_intents.append(cid)
            log_order(paths, order_line("intent_not_at_broker", p, now))
            emit(SUBSYSTEM, "order_intent_not_at_broker", "warning", paths=paths, client_order_id=cid, status=p.status)
            continue
        apply_order(book, paths, now, cfg, p, order, repairs, (quotes or {}).get(p.symbol))
        if cid in book.pending and order.is_open:
            created = parse_ts(p.created_ts)
            if created is not None and (now - created).total_seconds() > cfg.orders.timeout_s:
                try:
                    broker.cancel(order.id)
                    log_order(
                        paths, order_line("timeout", p, now, reason=f"open > {cfg.orders.timeout_s}s; cancel sent")
                    )
                except BrokerError as exc:
                    emit(SUBSYSTEM, "order_cancel_failed", "error", paths=paths, client_order_id=cid, error=str(exc))


def adopt_open_orders(
    book: BookState,
    paths: Paths,
    now: datetime,
    cfg: StrategyV1Config,
    open_orders: dict[str, BrokerOrder],
    repairs: Repairs,
    foreign_seen: set[str],
) -> None:
    prefix = cfg.orders.client_order_prefix
    for cid, o in open_orders.items():
        if cid in book.pending:
            continue
        parsed = parse_client_order_id(cid, prefix)
        if parsed is None:
            if cid not in foreign_seen:
                foreign_seen.add(cid)
                emit(SUBSYSTEM, "foreign_open_order", "warning", paths=paths, client_order_id=cid, symbol=o.symbol)
            continue
        p = PendingOrder(
            client_order_id=cid,
            broker_order_id=o.id,
            symbol=o.symbol,
            order_side=o.side,
            position_side=parsed.position_side,
            intent=parsed.intent,
            qty=o.qty,
            filled_qty=0.0,
            status=o.status,
            created_ts=iso(now),
            trade_id=cid if parsed.intent == "entry" else "",
            reason="adopted",
        )
        book.pending[cid] = p
        repairs.adopted_orders.append(cid)
        log_order(paths, order_line("adopted", p, now))
        emit(SUBSYSTEM, "order_adopted", "warning", paths=paths, client_order_id=cid, symbol=o.symbol, status=o.status)
        apply_order(book, paths, now, cfg, p, o, repairs)
