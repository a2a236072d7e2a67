"""What the v1 steps share: the long-lived runtime, the per-cycle state, and booking an order.

Long-lived things (strategy config, broker handle, asset cache, session times) live in
`V1Runtime` in `ctx.extras["engine"]`, which survives across cycles; what one cycle learns (the
book, the account, broker prices, offers for displacement, attribution lines) lives in `V1Cycle`
in `ctx.extras["v1"]`, so each step starts from what the previous one left. Exits, entries and
displacement all send orders the same way (write-ahead, send, book the answer), so that path is
here once. Broker failures are expected weather: one event, and the cycle degrades.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.broker.interface import Account, AssetInfo, Broker
from src.core.clock import MarketCalendar, trading_day
from src.core.events import emit
from src.engine.config import StrategyV1Config
from src.engine.cycle import CycleContext
from src.engine.displacement import Offer
from src.engine.fills import Repairs
from src.engine.order_follow import apply_order
from src.engine.orders import Placement, send_order
from src.engine.positions import BookState, PendingOrder, iso, save_book
from src.engine.trade_logs import AttributionLine, BlockedLine, log_blocked

SUBSYSTEM = "engine"


@dataclass
class V1Runtime:
    cfg: StrategyV1Config
    broker_factory: Callable[[], Broker]
    calendar: MarketCalendar = field(default_factory=MarketCalendar)
    broker: Broker | None = None
    assets: dict[str, AssetInfo] = field(default_factory=dict)
    assets_day: str = ""
    foreign_seen: set[str] = field(default_factory=set)
    # symbol -> refusal reason written and still standing at the end of the last cycle: a
    # (symbol, reason) that persists is written once when it starts, not every cycle
    blocked_active: dict[str, str] = field(default_factory=dict)

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


@dataclass(slots=True)
class Refusal:
    """A refusal noted this cycle; its line is built only if it is written (most repeat a streak)."""

    symbol: str
    reason: str
    fields: dict[str, Any] = field(default_factory=dict)  # the other BlockedLine fields

    @property
    def numbers(self) -> dict[str, Any]:
        n = self.fields.get("numbers")
        return n if isinstance(n, dict) else {}

    def line(self, ts: str, cycle: int) -> BlockedLine:
        return BlockedLine(symbol=self.symbol, reason=self.reason, ts=ts, cycle=cycle, **self.fields)


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
    refusals: dict[str, Refusal] = field(default_factory=dict)  # this cycle's, the last word wins
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


def save_if_changed(ctx: CycleContext, cyc: V1Cycle) -> None:
    """Write the book if it changed (each write is an fsync'd atomic replace)."""
    now_json = cyc.book.model_dump_json(exclude={"updated_at"})
    if now_json != cyc.saved:
        save_book(ctx.paths, cyc.book, ctx.now)
        cyc.saved = now_json


def finish_placement(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, placed: Placement, kind: str) -> None:
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
        price_of(ctx, cyc, placed.pending.symbol),
    )
    cyc.attribution.extend(repairs.attribution)
    if repairs.closed_trades:
        ctx.count("exits", len(repairs.closed_trades))


def send_prepared(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, prepared: list[PendingOrder], kind: str) -> None:
    """Write-ahead once for the whole batch, then send each intent once."""
    if not prepared:
        return
    save_if_changed(ctx, cyc)
    broker = rt.get_broker()
    for p in prepared:
        finish_placement(ctx, rt, cyc, send_order(broker, cyc.book, ctx.paths, ctx.now, p), kind)


def broker_down(ctx: CycleContext, where: str, exc: Exception) -> None:
    """An unreachable broker degrades the cycle (one error, one event); the caller stops its step."""
    ctx.errors.append(f"{where}: broker unavailable: {type(exc).__name__}: {exc}"[:300])
    emit(SUBSYSTEM, "broker_unavailable", "error", paths=ctx.paths, step=where, error=str(exc)[:300], cycle=ctx.cycle)


def price_of(ctx: CycleContext, cyc: V1Cycle, symbol: str) -> float | None:
    """The broker's price from this cycle when there is one, else the flow cache's."""
    p = cyc.quotes.get(symbol)
    if p:
        return p
    q = ctx.extras.get("quotes", {}).get(symbol)
    return q if isinstance(q, (int, float)) and q > 0 else None


def note_refusal(cyc: V1Cycle, symbol: str, reason: str, **fields: Any) -> None:
    """Remember why a candidate was not entered this cycle (a later step may give the final word)."""
    cyc.refusals[symbol] = Refusal(symbol, reason, fields)


def drop_refusal(cyc: V1Cycle, symbol: str) -> None:
    """The candidate was entered after all (displacement), so it was not refused."""
    cyc.refusals.pop(symbol, None)


def flush_refusals(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle) -> None:
    """Write the cycle's refusals to blocked trades, each only when its (symbol, reason) is new.

    A refusal that stood last cycle with the same reason is not written again (a cooldown or a
    full book would otherwise repeat every cycle); a changed reason, or one that comes back after
    a cycle without it, is written. The memory lives in the runtime, so a restart writes once more.
    """
    last = rt.blocked_active
    standing = {sym: ref.reason for sym, ref in cyc.refusals.items()}
    new = sorted((ref for sym, ref in cyc.refusals.items() if last.get(sym) != ref.reason), key=lambda r: r.symbol)
    if new:
        ts = iso(ctx.now)
        for ref in new:
            log_blocked(ctx.paths, ref.line(ts, ctx.cycle))
        ctx.count("blocked_logged", len(new))
    if cyc.refusals:
        ctx.count("entries_blocked", len(cyc.refusals))
    rt.blocked_active = standing
    cyc.refusals = {}
