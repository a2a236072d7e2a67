"""The v1 step functions the engine's guarded cycle calls, in order.

reconcile -> score -> exits -> entries -> displacement -> attribution (-> shadow, in pipeline).
Each step reads and writes the per-cycle `V1Cycle` in `ctx.extras["v1"]`; long-lived things
(strategy config, broker handle, asset cache) live in `V1Runtime` in `ctx.extras["engine"]`,
which survives across cycles. Broker failures are expected weather: they degrade the cycle
with one event and leave the book untouched; entries fail closed, exits wait for the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.broker.errors import BrokerError
from src.broker.interface import Account, AssetInfo, Broker
from src.core.clock import MarketCalendar, trading_day
from src.core.events import emit
from src.engine.config import StrategyV1Config
from src.engine.cycle import CycleContext
from src.engine.displacement import Held, Offer, plan_displacements
from src.engine.exits import evaluate_exit, update_high_water
from src.engine.orders import Placement, place_order, prepare_order, send_order
from src.engine.positions import BookState, PendingOrder, Position, iso, load_book, parse_ts, save_book
from src.engine.reconcile import Repairs, apply_order, reconcile
from src.engine.risk import MAX_POSITIONS, AccountView, BookView, Candidate, check_entry, daily_loss_breached
from src.engine.scoring import ScoreResult, score_cache
from src.engine.trade_logs import (
    AttributionLine,
    BlockedLine,
    DisplacementLine,
    log_attribution,
    log_blocked,
    log_displacement,
)

SUBSYSTEM = "engine"
CANDIDATE_QUOTE_LIMIT = 24  # quotes fetched for the best candidates per cycle (one batched call)


@dataclass
class V1Runtime:
    cfg: StrategyV1Config
    broker_factory: Callable[[], Broker]
    calendar: MarketCalendar = field(default_factory=MarketCalendar)
    broker: Broker | None = None
    assets: dict[str, AssetInfo] = field(default_factory=dict)
    assets_day: str = ""
    foreign_seen: set[str] = field(default_factory=set)

    sessions: dict[str, Any] = field(default_factory=dict)

    def minutes_to_close(self, now: datetime) -> float | None:
        """Like MarketCalendar.minutes_to_close, with the day's session looked up once."""
        day = trading_day(now)
        if day not in self.sessions:
            self.sessions = {day: self.calendar.session_at(now)}
        sess = self.sessions.get(day)
        if sess is None or not (sess.open <= now < sess.close):
            return None
        return (sess.close - now).total_seconds() / 60.0

    def get_broker(self) -> Broker:
        if self.broker is None:
            self.broker = self.broker_factory()
        return self.broker


@dataclass
class V1Cycle:
    book: BookState = field(default_factory=BookState)
    broker_ok: bool = False
    account: Account | None = None
    minutes_to_close: float | None = None
    quotes: dict[str, float] = field(default_factory=dict)  # broker prices fetched this cycle
    at_cap_offers: list[Offer] = field(default_factory=list)
    attribution: list[AttributionLine] = field(default_factory=list)
    entries: int = 0
    saved: str = ""  # the book as last read/written, to skip writes that change nothing


def runtime(ctx: CycleContext) -> V1Runtime:
    rt = ctx.extras.get("engine", {}).get("v1")
    if not isinstance(rt, V1Runtime):
        raise RuntimeError("v1 runtime missing: build the engine through src.engine.pipeline.build_steps")
    return rt


def cycle_data(ctx: CycleContext) -> V1Cycle:
    cyc = ctx.extras.get("v1")
    if not isinstance(cyc, V1Cycle):
        cyc = V1Cycle()
        ctx.extras["v1"] = cyc
    return cyc


def _save(ctx: CycleContext, cyc: V1Cycle) -> None:
    """Write the book if it changed (each write is an fsync'd atomic replace)."""
    now_json = cyc.book.model_dump_json(exclude={"updated_at"})
    if now_json != cyc.saved:
        save_book(ctx.paths, cyc.book, ctx.now)
        cyc.saved = now_json


def _finish(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, placed: Placement, kind: str) -> None:
    """Book what the broker answered for one order (fills, partials, rejects)."""
    ctx.count(f"{kind}_{placed.outcome}")
    if placed.order is None or placed.pending is None:
        return
    repairs = Repairs()
    apply_order(
        cyc.book,
        ctx.paths,
        ctx.now,
        rt.cfg,
        placed.pending,
        placed.order,
        repairs,
        _price(ctx, cyc, placed.pending.symbol),
    )
    cyc.attribution.extend(repairs.attribution)
    if repairs.closed_trades:
        ctx.count("exits", len(repairs.closed_trades))


def _send_prepared(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, prepared: list[PendingOrder], kind: str) -> None:
    """Write-ahead once for the whole batch, then send each intent once."""
    if not prepared:
        return
    _save(ctx, cyc)
    broker = rt.get_broker()
    for p in prepared:
        _finish(ctx, rt, cyc, send_order(broker, cyc.book, ctx.paths, ctx.now, p), kind)


def _broker_down(ctx: CycleContext, where: str, exc: Exception) -> None:
    ctx.errors.append(f"{where}: broker unavailable: {type(exc).__name__}: {exc}"[:300])
    emit(SUBSYSTEM, "broker_unavailable", "error", paths=ctx.paths, step=where, error=str(exc)[:300], cycle=ctx.cycle)


# -- reconcile -------------------------------------------------------------------------------
def reconcile_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    cyc.book = load_book(ctx.paths)
    cyc.saved = cyc.book.model_dump_json(exclude={"updated_at"})
    cyc.minutes_to_close = rt.minutes_to_close(ctx.now) if ctx.market_open else None
    try:
        repairs, snap = reconcile(rt.get_broker(), cyc.book, ctx.paths, ctx.now, rt.cfg, foreign_seen=rt.foreign_seen)
    except BrokerError as exc:
        cyc.broker_ok = False
        _broker_down(ctx, "reconcile", exc)
        return
    cyc.broker_ok = True
    cyc.account = snap.get("account")
    cyc.attribution.extend(repairs.attribution)
    for bp in snap.get("positions", []):
        if bp.current_price:
            cyc.quotes[bp.symbol] = bp.current_price
    _daily_guards(ctx, rt, cyc)
    _count_repairs(ctx, repairs)
    _save(ctx, cyc)


def _count_repairs(ctx: CycleContext, r: Repairs) -> None:
    for name, items in (
        ("positions_adopted", r.adopted_positions),
        ("positions_dropped", r.dropped_positions),
        ("positions_qty_fixed", r.qty_fixed),
        ("orders_adopted", r.adopted_orders),
        ("fills", r.fills),
        ("trades_closed", r.closed_trades),
    ):
        if items:
            ctx.count(name, len(items))


def _daily_guards(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle) -> None:
    acct = cyc.account
    if acct is None or acct.equity is None:
        return
    book = cyc.book
    book.peak_equity = max(book.peak_equity or 0.0, acct.equity)
    day = trading_day(ctx.now)
    view = AccountView(acct.equity, acct.buying_power, acct.last_equity, book.peak_equity)
    if book.halted_day != day and daily_loss_breached(view, rt.cfg):
        book.halted_day = day
        emit(
            SUBSYSTEM,
            "daily_loss_limit_halt",
            "critical",
            paths=ctx.paths,
            day=day,
            equity=acct.equity,
            last_equity=acct.last_equity,
            limit_pct=rt.cfg.risk.daily_loss_pct,
        )


# -- score -----------------------------------------------------------------------------------
def score_step(ctx: CycleContext) -> None:
    rt = runtime(ctx)
    cache = ctx.cache
    symbols = cache.symbols if cache is not None else {}
    market = cache.market if cache is not None else {}
    now = ctx.now.timestamp()
    scores = score_cache(symbols, market, rt.cfg, now)
    ctx.extras["v1_scores"] = scores
    ctx.extras["quotes"] = {s: r.price for s, r in scores.items() if r.price is not None}
    ctx.counters["clusters"] = sum(1 for r in scores.values() if r.clusters > 0)
    ctx.count("symbols_scored", len(scores))


def _scores(ctx: CycleContext) -> dict[str, ScoreResult]:
    s = ctx.extras.get("v1_scores")
    return s if isinstance(s, dict) else {}


def _price(ctx: CycleContext, cyc: V1Cycle, symbol: str) -> float | None:
    p = cyc.quotes.get(symbol)
    if p:
        return p
    q = ctx.extras.get("quotes", {}).get(symbol)
    return q if isinstance(q, (int, float)) and q > 0 else None


def _fetch_quotes(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, symbols: list[str]) -> None:
    want = [s for s in symbols if s]
    if not want:
        return
    try:
        for sym, q in rt.get_broker().latest_quotes(want).items():
            if q.price:
                cyc.quotes[sym] = q.price
    except BrokerError as exc:  # the cache price is the fallback; note it, keep going
        emit(SUBSYSTEM, "broker_quotes_failed", "warning", paths=ctx.paths, error=str(exc)[:300], n=len(want))


# -- exits -----------------------------------------------------------------------------------
def exits_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    if not cyc.broker_ok or not cyc.book.positions:
        return
    scores = _scores(ctx)
    _fetch_quotes(ctx, rt, cyc, sorted(cyc.book.positions))
    prepared: list[PendingOrder] = []
    for sym, pos in list(cyc.book.positions.items()):
        price = _price(ctx, cyc, sym)
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
            _broker_down(ctx, "exits", exc)
            break
        if placed.outcome == "prepared" and placed.pending is not None:
            prepared.append(placed.pending)
        else:
            _finish(ctx, rt, cyc, placed, "exit")
    _send_prepared(ctx, rt, cyc, prepared, "exit")  # the book is persisted by the next write-ahead or at cycle end


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
    _finish(ctx, rt, cyc, placed, "exit")
    return sym not in cyc.book.positions


# -- entries ---------------------------------------------------------------------------------
def _candidates(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle) -> list[ScoreResult]:
    e = rt.cfg.entry
    out = [
        r
        for r in _scores(ctx).values()
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
        _price(ctx, cyc, r.symbol),
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
        _send_prepared(ctx, rt, cyc, [placed.pending], "entry")
        return ""
    _finish(ctx, rt, cyc, placed, "entry")
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
    _fetch_quotes(ctx, rt, cyc, [r.symbol for r in top if r.symbol not in cyc.quotes])
    prepared: list[PendingOrder] = []
    for r in top:
        if cyc.entries >= rt.cfg.entry.max_new_entries_per_cycle:
            break
        try:
            placed = decide_entry(ctx, rt, cyc, r)
        except BrokerError as exc:
            _broker_down(ctx, "entries", exc)
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
            _finish(ctx, rt, cyc, placed, "entry")
    _send_prepared(ctx, rt, cyc, prepared, "entry")


# -- displacement ----------------------------------------------------------------------------
def displacement_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    if not cyc.broker_ok or not ctx.market_open or not cyc.at_cap_offers:
        return
    scores = _scores(ctx)
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
            _broker_down(ctx, "displacement", exc)
            break
        common = {"ts": iso(ctx.now), "margin": plan.margin, "reasoning": plan.reasoning}
        log_displacement(
            ctx.paths,
            DisplacementLine(
                half="close",
                symbol=plan.close_symbol,
                score=plan.close_score,
                counterpart_symbol=plan.open_symbol,
                counterpart_score=plan.open_score,
                outcome="closed" if closed else "close_pending",
                **common,
            ),
        )
        outcome = "deferred: close not filled yet"
        offer = scores.get(plan.open_symbol)
        if closed and offer is not None:
            try:
                refusal = try_entry(ctx, rt, cyc, offer, via="displacement")
            except BrokerError as exc:
                _broker_down(ctx, "displacement", exc)
                refusal = "broker_unavailable"
            outcome = "opened" if not refusal else f"refused: {refusal}"
        log_displacement(
            ctx.paths,
            DisplacementLine(
                half="open",
                symbol=plan.open_symbol,
                score=plan.open_score,
                counterpart_symbol=plan.close_symbol,
                counterpart_score=plan.close_score,
                outcome=outcome,
                **common,
            ),
        )
        ctx.count("displacements")


# -- attribution -----------------------------------------------------------------------------
def attribution_step(ctx: CycleContext) -> None:
    """Write the cycle's attribution lines, then persist the book once for the whole cycle."""
    cyc = cycle_data(ctx)
    if cyc.broker_ok:
        _save(ctx, cyc)
    for line in cyc.attribution:
        log_attribution(ctx.paths, line)
    if cyc.attribution:
        ctx.count("entries_attributed", len(cyc.attribution))
    cyc.attribution = []


def shadow_step_factory() -> Callable[[CycleContext], Any] | None:
    """The v2 shadow step if its module is installed, else None (the pipeline makes a no-op)."""
    try:
        from src.shadow.step import shadow_step
    except ImportError:
        return None
    return shadow_step
