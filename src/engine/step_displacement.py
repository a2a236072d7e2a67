"""The displacement step: when the book is full, a much stronger candidate replaces the weakest.

Entries hand over the candidates refused only because the book is full; `displacement`
plans which held positions to swap for them. The close goes first and the entry is tried only
once the close has filled, so the book never holds more than its cap; a close still pending
defers the entry to a later cycle. Each swap writes two displacement lines, one per half.
Every offer not opened gets its final refusal here (declined with why, deferred, or risk's
answer on the retry), and the cycle's refusals are flushed to blocked trades at the end.
"""

from __future__ import annotations

from typing import Literal

from src.broker.errors import BrokerError
from src.engine.cycle import CycleContext
from src.engine.displacement import DisplacementPlan, Held, explain_declines, plan_displacements
from src.engine.positions import iso
from src.engine.step_entries import BROKER_UNAVAILABLE, refuse, try_entry
from src.engine.step_exits import close_position
from src.engine.step_score import cycle_scores
from src.engine.step_state import V1Cycle, V1Runtime, broker_down, cycle_data, drop_refusal, flush_refusals, runtime
from src.engine.trade_logs import DisplacementLine, log_displacement

DECLINED = "displacement_declined_"  # + Decline.why
DEFERRED = "displacement_deferred"


def displacement_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    try:
        _displace(ctx, rt, cyc)
    finally:
        flush_refusals(ctx, rt, cyc)


def _displace(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle) -> None:
    if not cyc.broker_ok or not ctx.market_open or not cyc.at_cap_offers:
        return
    scores = cycle_scores(ctx)
    held = []
    for sym, pos in cyc.book.positions.items():
        sr = scores.get(sym)
        cur = sr.score if sr is not None and sr.direction == pos.side else 0.0
        entered = pos.entry_dt()
        held.append(Held(sym, cur, (ctx.now - entered).total_seconds() / 60.0 if entered else 0.0))
    plans = plan_displacements(held, cyc.at_cap_offers, rt.cfg)
    for sym, why in explain_declines(held, cyc.at_cap_offers, plans, rt.cfg).items():
        sr = scores.get(sym)
        if sr is not None:
            refuse(
                ctx, rt, cyc, sr, DECLINED + why.why, detail=why.detail, numbers=dict(why.numbers), via="displacement"
            )
    for plan in plans:
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
                refusal = BROKER_UNAVAILABLE
                refuse(ctx, rt, cyc, offer, refusal, detail=str(exc)[:200], via="displacement")
            outcome = "opened" if not refusal else f"refused: {refusal}"
            if not refusal:
                drop_refusal(cyc, plan.open_symbol)
        elif offer is not None:
            refuse(
                ctx,
                rt,
                cyc,
                offer,
                DEFERRED,
                detail=f"closing {plan.close_symbol} first; entry once the close has filled",
                numbers={"close_symbol": plan.close_symbol, "close_score": plan.close_score, "margin": plan.margin},
                via="displacement",
            )
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
