"""The entries step: the best-scored candidates, risk-checked one by one, sent as one batch.

Candidates pass the score threshold, freshness, toxicity and long-only filters, best first;
each is risk-checked (`risk.check_entry`) against the account and the book as it grows this
cycle. Every candidate above its threshold that is not entered gets a refusal with its reason
(risk's, a candidate filter's, the per-cycle limits', or the closed market's), noted in the
cycle and written by `flush_refusals` once per (symbol, reason) streak. Without the account,
entries fail closed (one event, a refusal per candidate). When the book is full, the best few
remaining candidates are handed to displacement (which gives their final word) instead of being
risk-checked one by one; the rest are refused at the cap.
"""

from __future__ import annotations

from typing import Any

from src.broker.errors import BrokerError
from src.broker.interface import AssetInfo
from src.core.clock import trading_day
from src.core.events import emit
from src.engine.cycle import CycleContext
from src.engine.displacement import Offer
from src.engine.orders import Placement, prepare_order
from src.engine.positions import PendingOrder, parse_ts
from src.engine.risk import (
    ACCOUNT_UNAVAILABLE,
    LONG_ONLY,
    MARKET_CLOSED,
    MAX_POSITIONS,
    AccountView,
    BookView,
    Candidate,
    check_entry,
)
from src.engine.scoring import ScoreResult
from src.engine.step_score import cycle_scores, fetch_quotes
from src.engine.step_state import (
    SUBSYSTEM,
    V1Cycle,
    V1Runtime,
    broker_down,
    cycle_data,
    finish_placement,
    note_refusal,
    price_of,
    runtime,
    send_prepared,
)

CANDIDATE_QUOTE_LIMIT = 24  # quotes fetched for the best candidates per cycle (one batched call)

# refusals decided here rather than by risk (stable strings, like risk's)
NO_DIRECTION = "no_direction"
STALE_FLOW = "stale_flow"
TOXIC_FLOW = "toxic_flow"
ENTRY_LIMIT = "max_new_entries_per_cycle"
CANDIDATE_LIMIT = "candidate_limit"
BROKER_UNAVAILABLE = "broker_unavailable"
ORDER_NOT_PREPARED = "order_not_prepared"


def refuse(
    ctx: CycleContext,
    rt: V1Runtime,
    cyc: V1Cycle,
    r: ScoreResult,
    reason: str,
    *,
    detail: str = "",
    numbers: dict[str, Any] | None = None,
    price: float | None = None,
    via: str = "entry",
) -> None:
    """Note one candidate's refusal for this cycle (written, deduplicated, by `flush_refusals`)."""
    note_refusal(
        cyc,
        r.symbol,
        reason,
        side=r.direction,
        score=r.score,
        detail=detail,
        price=price if price is not None else price_of(ctx, cyc, r.symbol),
        threshold=rt.cfg.threshold_for(r.symbol),
        numbers=dict(numbers or {}),
        via=via,
    )


def _filter_refusal(rt: V1Runtime, r: ScoreResult) -> tuple[str, dict[str, Any]] | None:
    """Why an above-threshold score is not a candidate at all (the filters of `_candidates`)."""
    e = rt.cfg.entry
    if r.direction == "none":
        return NO_DIRECTION, {}
    if r.freshness < e.min_freshness:
        return STALE_FLOW, {"freshness": r.freshness, "min_freshness": e.min_freshness}
    if r.toxicity > e.max_toxicity:
        return TOXIC_FLOW, {"toxicity": r.toxicity, "max_toxicity": e.max_toxicity}
    if e.long_only and r.direction == "short":
        return LONG_ONLY, {}
    return None


def _refuse_filtered(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, held: set[str]) -> None:
    for r in cycle_scores(ctx).values():
        if r.symbol in held or r.score < rt.cfg.threshold_for(r.symbol):
            continue
        why = _filter_refusal(rt, r)
        if why is not None:
            refuse(ctx, rt, cyc, r, why[0], numbers=why[1])


def _candidates(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle) -> list[ScoreResult]:
    e = rt.cfg.entry
    out = [
        r
        for r in cycle_scores(ctx).values()
        if r.direction != "none"
        and r.score >= rt.cfg.threshold_for(r.symbol)
        and r.freshness >= e.min_freshness
        and r.toxicity <= e.max_toxicity
        and not (e.long_only and r.direction == "short")
    ]
    out.sort(key=lambda r: (-r.score, r.symbol))
    return out


def _asset(ctx: CycleContext, rt: V1Runtime, sym: str) -> AssetInfo | None:
    day = trading_day(ctx.now)
    if rt.assets_day != day:
        rt.assets, rt.assets_day = {}, day
    if sym not in rt.assets:
        info = rt.get_broker().asset(sym)
        rt.assets[sym] = info or AssetInfo(sym, tradable=False, shortable=False)
    return rt.assets.get(sym)


def _book_view(cyc: V1Cycle, ctx: CycleContext) -> BookView:
    b = cyc.book
    held = set(b.positions) | {p.symbol for p in b.pending.values()}
    notional = sum(abs(p.qty) * (cyc.quotes.get(s) or p.last_price or p.entry_price) for s, p in b.positions.items())
    notional += sum(p.qty * (cyc.quotes.get(p.symbol) or 0.0) for p in b.pending.values() if p.intent == "entry")
    cool = {s: t for s, t in ((s, parse_ts(v)) for s, v in b.cooldowns.items()) if t is not None}
    return BookView(
        held=held,
        position_count=len(b.positions) + sum(1 for p in b.pending.values() if p.intent == "entry"),
        open_notional=notional,
        cooldown_until=cool,
    )


def _account_view(cyc: V1Cycle) -> AccountView:
    a = cyc.account
    if a is None or a.trading_blocked:
        return AccountView(None, None)
    return AccountView(a.equity, a.buying_power, a.last_equity, cyc.book.peak_equity)


def decide_entry(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, r: ScoreResult, via: str = "entry") -> Placement | str:
    """Risk-check one candidate and register its intent; a refusal reason (str) when refused."""
    asset = _asset(ctx, rt, r.symbol)
    cand = Candidate(
        r.symbol,
        r.direction,
        price_of(ctx, cyc, r.symbol),
        r.score,
        tradable=bool(asset and asset.tradable),
        shortable=bool(asset and asset.shortable and cyc.account and cyc.account.shorting_enabled),
    )
    d = check_entry(
        cand,
        _account_view(cyc),
        _book_view(cyc, ctx),
        rt.cfg,
        now=ctx.now,
        market_open=ctx.market_open,
        minutes_to_close=cyc.minutes_to_close,
        halted_today=cyc.book.halted_day == trading_day(ctx.now),
    )
    if not d.allowed:
        refuse(ctx, rt, cyc, r, d.reason, detail=d.detail, numbers=d.numbers, price=cand.price, via=via)
        return d.reason
    pending = PendingOrder(
        symbol=r.symbol,
        order_side="buy" if r.direction == "long" else "sell",
        position_side=r.direction,  # type: ignore[arg-type]
        intent="entry",
        qty=d.qty,
        reason=via,
        score=r.score,
        components=dict(r.components),
        signals=r.signals(),
        decision={"missing": list(r.missing), "clusters": r.clusters, "price": cand.price, "notional": d.notional},
    )
    placed = prepare_order(
        rt.get_broker(), cyc.book, ctx.paths, ctx.now, prefix=rt.cfg.orders.client_order_prefix, pending=pending
    )
    if placed.outcome in ("prepared", "in_flight"):
        cyc.entries += 1
    else:
        refuse(ctx, rt, cyc, r, ORDER_NOT_PREPARED, detail=f"{placed.outcome}: {placed.error}"[:200], via=via)
    return placed


def try_entry(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, r: ScoreResult, via: str = "entry") -> str:
    """Decide and send one entry now; "" when sent, else why not."""
    placed = decide_entry(ctx, rt, cyc, r, via)
    if isinstance(placed, str):
        return placed
    if placed.outcome == "prepared" and placed.pending is not None:
        send_prepared(ctx, rt, cyc, [placed.pending], "entry")
        return ""
    finish_placement(ctx, rt, cyc, placed, "entry")
    return "" if placed.outcome == "in_flight" else placed.outcome


def entries_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    held = set(cyc.book.positions) | {p.symbol for p in cyc.book.pending.values()}
    _refuse_filtered(ctx, rt, cyc, held)
    cands = _candidates(ctx, rt, cyc)
    fresh = [r for r in cands if r.symbol not in held]
    if not ctx.market_open:
        for r in fresh:
            refuse(ctx, rt, cyc, r, MARKET_CLOSED)
        return
    ctx.count("candidates", len(cands))
    if not cands:
        return
    if not cyc.broker_ok or cyc.account is None or cyc.account.equity is None:
        emit(
            SUBSYSTEM,
            "entries_fail_closed",
            "error",
            paths=ctx.paths,
            reason="account unavailable",
            candidates=len(cands),
            cycle=ctx.cycle,
        )
        for r in fresh:
            refuse(ctx, rt, cyc, r, ACCOUNT_UNAVAILABLE, detail="account unavailable: entries fail closed")
        return
    top = fresh[:CANDIDATE_QUOTE_LIMIT]
    fetch_quotes(ctx, rt, cyc, [r.symbol for r in top if r.symbol not in cyc.quotes])
    prepared: list[PendingOrder] = []
    stop: tuple[str, str, dict[str, Any]] = (
        CANDIDATE_LIMIT,
        f"only the best {CANDIDATE_QUOTE_LIMIT} candidates are checked per cycle",
        {"candidate_limit": CANDIDATE_QUOTE_LIMIT},
    )
    done = len(top)
    for i, r in enumerate(top):
        if cyc.entries >= rt.cfg.entry.max_new_entries_per_cycle:
            lim = rt.cfg.entry.max_new_entries_per_cycle
            stop, done = (
                (ENTRY_LIMIT, f"{cyc.entries}/{lim} entries this cycle", {"entries": cyc.entries, "max": lim}),
                i,
            )
            break
        try:
            placed = decide_entry(ctx, rt, cyc, r)
        except BrokerError as exc:
            broker_down(ctx, "entries", exc)
            stop, done = (BROKER_UNAVAILABLE, str(exc)[:200], {}), i
            break
        if isinstance(placed, str):
            if placed == MAX_POSITIONS:
                # the book is full: every remaining candidate would get the same answer, so the
                # best few go to displacement instead of being refused one by one
                rest = [x for x in top if x.symbol != r.symbol and x.score <= r.score]
                cap = max(1, rt.cfg.displacement.max_per_cycle) * 4
                offered = [r, *rest][:cap]
                cyc.at_cap_offers.extend(Offer(x.symbol, x.score, x.direction) for x in offered)
                at_cap = cyc.refusals.get(r.symbol)
                numbers = dict(at_cap.numbers) if at_cap is not None else {}
                later = {x.symbol for x in top[i + 1 :]}
                for x in (x for x in offered[1:] if x.symbol in later):
                    refuse(ctx, rt, cyc, x, MAX_POSITIONS, detail="book full; offered to displacement", numbers=numbers)
                stop = (MAX_POSITIONS, f"book full; only the best {cap} are offered to displacement", numbers)
                done = i + 1
                break
        elif placed.outcome == "prepared" and placed.pending is not None:
            prepared.append(placed.pending)
        else:
            finish_placement(ctx, rt, cyc, placed, "entry")
    send_prepared(ctx, rt, cyc, prepared, "entry")
    for r in fresh[done:]:
        if r.symbol not in cyc.refusals:
            refuse(ctx, rt, cyc, r, stop[0], detail=stop[1], numbers=stop[2])
