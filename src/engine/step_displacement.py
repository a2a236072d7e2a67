"""The displacement step: when the book is full, a much stronger candidate replaces the weakest.

Entries hand over the candidates refused only because the book is full; `displacement`
plans which held positions to swap for them. The close goes first and the entry is tried only
once the close has filled, so the book never holds more than its cap; a close still pending
defers the entry to a later cycle. Each swap writes two displacement lines, one per half.
"""

from __future__ import annotations

from typing import Literal

from src.broker.errors import BrokerError
from src.engine.cycle import CycleContext
from src.engine.displacement import DisplacementPlan, Held, plan_displacements
from src.engine.positions import iso
from src.engine.step_entries import try_entry
from src.engine.step_exits import close_position
from src.engine.step_score import cycle_scores
from src.engine.step_state import broker_down, cycle_data, runtime
from src.engine.trade_logs import DisplacementLine, log_displacement


def displacement_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    if not cyc.broker_ok or not ctx.market_open or not cyc.at_cap_offers:
        return
    scores = cycle_scores(ctx)
    held = []
    for sym, pos in cyc.book.positions.items():
        sr = scores.get(sym)
        cur = sr.score if sr is not None and sr.direction == pos.side else 0.0
        entered = pos.entry_dt()
        held.append(Held(sym, cur, (ctx.now - entered).total_seconds() / 60.0 if entered else 0.0))
    for plan in plan_displacements(held, cyc.at_cap_offers, rt.cfg):
        try:
            closed = close_position(ctx, rt, cyc, plan.close_symbol, "displacement", plan.reasoning)
        except BrokerError as exc:
            broker_down(ctx, "displacement", exc)
            break
        _log_half(ctx, plan, "close", "closed" if closed else "close_pending")
        outcome = "deferred: close not filled yet"
        offer = scores.get(plan.open_symbol)
        if closed and offer is not None:
            try:
                refusal = try_entry(ctx, rt, cyc, offer, via="displacement")
            except BrokerError as exc:
                broker_down(ctx, "displacement", exc)
                refusal = "broker_unavailable"
            outcome = "opened" if not refusal else f"refused: {refusal}"
        _log_half(ctx, plan, "open", outcome)
        ctx.count("displacements")


def _log_half(ctx: CycleContext, plan: DisplacementPlan, half: Literal["close", "open"], outcome: str) -> None:
    """One half's line; each names the other half, so either line tells the whole swap."""
    ours, theirs = (plan.close_symbol, plan.close_score), (plan.open_symbol, plan.open_score)
    if half == "open":
        ours, theirs = theirs, ours
    log_displacement(
        ctx.paths,
        DisplacementLine(
            ts=iso(ctx.now),
            half=half,
            symbol=ours[0],
            score=ours[1],
            counterpart_symbol=theirs[0],
            counterpart_score=theirs[1],
            margin=plan.margin,
            reasoning=plan.reasoning,
            outcome=outcome,
        ),
    )
