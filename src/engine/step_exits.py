"""The exits step, and closing one position on demand (displacement uses it).

With the broker up, every held position gets its price, high-water mark and current score
refreshed each cycle, market open or not; the exit rules (`exits.evaluate_exit`) only run while
the market is open and when no order for the symbol is already in flight. Closing orders are
registered for the whole batch, written ahead once, then sent. Without the broker, exits wait:
nothing is sold on stale facts.
"""

from __future__ import annotations

from src.broker.errors import BrokerError
from src.engine.cycle import CycleContext
from src.engine.exits import evaluate_exit, update_high_water
from src.engine.orders import place_order, prepare_order
from src.engine.positions import PendingOrder, Position
from src.engine.step_score import cycle_scores, fetch_quotes
from src.engine.step_state import (
    V1Cycle,
    V1Runtime,
    broker_down,
    cycle_data,
    finish_placement,
    price_of,
    runtime,
    send_prepared,
)


def exits_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    if not cyc.broker_ok or not cyc.book.positions:
        return
    scores = cycle_scores(ctx)
    fetch_quotes(ctx, rt, cyc, sorted(cyc.book.positions))
    prepared: list[PendingOrder] = []
    for sym, pos in list(cyc.book.positions.items()):
        price = price_of(ctx, cyc, sym)
        sr = scores.get(sym)
        cur = (sr.score if sr.direction == pos.side else 0.0) if sr is not None else None
        if price:
            pos.high_water = update_high_water(pos, price)
            pos.last_price = price
        pos.last_score = cur
        if not ctx.market_open or cyc.book.pending_for(sym):
            continue
        decision = evaluate_exit(
            pos,
            price,
            ctx.now,
            rt.cfg,
            current_score=cur,
            current_direction=sr.direction if sr else None,
            minutes_to_close=cyc.minutes_to_close,
        )
        if decision is None:
            continue
        try:
            placed = prepare_order(
                rt.get_broker(),
                cyc.book,
                ctx.paths,
                ctx.now,
                prefix=rt.cfg.orders.client_order_prefix,
                pending=_exit_order(cyc, sym, decision.reason, decision.detail),
            )
        except BrokerError as exc:
            broker_down(ctx, "exits", exc)
            break
        if placed.outcome == "prepared" and placed.pending is not None:
            prepared.append(placed.pending)
        else:
            finish_placement(ctx, rt, cyc, placed, "exit")
    send_prepared(ctx, rt, cyc, prepared, "exit")  # the book is persisted by the next write-ahead or at cycle end


def _exit_order(cyc: V1Cycle, sym: str, reason: str, detail: str) -> PendingOrder:
    pos = cyc.book.positions.get(sym) or Position(symbol=sym)  # callers check it is held
    return PendingOrder(
        symbol=sym,
        order_side="sell" if pos.side == "long" else "buy",
        position_side=pos.side,
        intent="exit",
        qty=pos.qty,
        trade_id=pos.trade_id,
        reason=reason,
        decision={"detail": detail},
    )


def close_position(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, sym: str, reason: str, detail: str = "") -> bool:
    """Send one closing order now; True when the position is closed (filled) by the time this returns."""
    if sym not in cyc.book.positions:
        return False
    placed = place_order(
        rt.get_broker(),
        cyc.book,
        ctx.paths,
        ctx.now,
        prefix=rt.cfg.orders.client_order_prefix,
        pending=_exit_order(cyc, sym, reason, detail),
    )
    finish_placement(ctx, rt, cyc, placed, "exit")
    return sym not in cyc.book.positions
