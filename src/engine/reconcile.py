"""Reconciliation: the broker is the truth; `state/positions.json` is repaired to match it.

Runs at start-up and at the top of every cycle. Orders in flight are followed to their end
(fill, partial fill, reject, cancel, timeout) and turned into positions or closed trades;
then positions are compared: what the broker holds and the book lacks is adopted, what the
book holds and the broker lacks is dropped, quantities and sides are corrected. Every repair
leaves an event and a log line; nothing is changed silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.broker.errors import BrokerError
from src.broker.interface import Broker, BrokerOrder, BrokerPosition
from src.core.clock import trading_day
from src.core.events import emit
from src.core.paths import Paths
from src.engine.config import StrategyV1Config
from src.engine.exits import pnl_pct
from src.engine.orders import order_line, parse_client_order_id
from src.engine.positions import BookState, PendingOrder, Position, iso, parse_ts
from src.engine.risk import cooldown_end
from src.engine.trade_logs import (
    AttributionLine,
    ExitLine,
    MasterTradeLine,
    log_exit,
    log_master_trade,
    log_order,
)

SUBSYSTEM = "engine"
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


# -- following orders ----------------------------------------------------------------------
def _open_entry(book: BookState, p: PendingOrder, qty: float, price: float, now: datetime, repairs: Repairs) -> None:
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
                _open_entry(book, p, newly, round(price, 6), now, repairs)
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
                _open_entry(book, entry, bp.qty, bp.avg_entry_price, now, repairs)
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
