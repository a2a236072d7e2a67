"""The entries step: the best-scored candidates, risk-checked one by one, sent as one batch.

Candidates pass the score threshold, freshness, toxicity and long-only filters, best first;
each is risk-checked (`risk.check_entry`) against the account and the book as it grows this
cycle, and every refusal is logged to blocked trades. Without the account, entries fail closed
(one event, one blocked line). When the book is full, the best few remaining candidates are
handed to displacement instead of being refused one by one.
"""

from __future__ import annotations

from src.broker.errors import BrokerError
from src.broker.interface import AssetInfo
from src.core.clock import trading_day
from src.core.events import emit
from src.engine.cycle import CycleContext
from src.engine.displacement import Offer
from src.engine.orders import Placement, prepare_order
from src.engine.positions import PendingOrder, iso, parse_ts
from src.engine.risk import MAX_POSITIONS, AccountView, BookView, Candidate, check_entry
from src.engine.scoring import ScoreResult
from src.engine.step_score import cycle_scores, fetch_quotes
from src.engine.step_state import (
    SUBSYSTEM,
    V1Cycle,
    V1Runtime,
    broker_down,
    cycle_data,
    finish_placement,
    price_of,
    runtime,
    send_prepared,
)
from src.engine.trade_logs import BlockedLine, log_blocked

CANDIDATE_QUOTE_LIMIT = 24  # quotes fetched for the best candidates per cycle (one batched call)


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
        log_blocked(
            ctx.paths,
            BlockedLine(
                ts=iso(ctx.now),
                symbol=r.symbol,
                side=r.direction,
                score=r.score,
                reason=d.reason,
                detail=d.detail,
                price=cand.price,
            ),
        )
        ctx.count("entries_blocked")
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
    if not ctx.market_open:
        return
    cands = _candidates(ctx, rt, cyc)
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
        log_blocked(
            ctx.paths,
            BlockedLine(
                ts=iso(ctx.now),
                symbol=cands[0].symbol,
                side=cands[0].direction,
                score=cands[0].score,
                reason="account_unavailable",
            ),
        )
        return
    held = set(cyc.book.positions) | {p.symbol for p in cyc.book.pending.values()}
    top = [r for r in cands if r.symbol not in held][:CANDIDATE_QUOTE_LIMIT]
    fetch_quotes(ctx, rt, cyc, [r.symbol for r in top if r.symbol not in cyc.quotes])
    prepared: list[PendingOrder] = []
    for r in top:
        if cyc.entries >= rt.cfg.entry.max_new_entries_per_cycle:
            break
        try:
            placed = decide_entry(ctx, rt, cyc, r)
        except BrokerError as exc:
            broker_down(ctx, "entries", exc)
            break
        if isinstance(placed, str):
            if placed == MAX_POSITIONS:
                # the book is full: every remaining candidate would get the same answer, so the
                # best few go to displacement instead of being refused one by one
                rest = [x for x in top if x.symbol != r.symbol and x.score <= r.score]
                cap = max(1, rt.cfg.displacement.max_per_cycle) * 4
                cyc.at_cap_offers.extend(Offer(x.symbol, x.score, x.direction) for x in [r, *rest][:cap])
                break
        elif placed.outcome == "prepared" and placed.pending is not None:
            prepared.append(placed.pending)
        else:
            finish_placement(ctx, rt, cyc, placed, "entry")
    send_prepared(ctx, rt, cyc, prepared, "entry")
