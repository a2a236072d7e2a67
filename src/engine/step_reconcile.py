"""The reconcile step: every cycle starts from the broker's truth.

Loads the book, reconciles it with the broker, keeps the broker's position prices as this
cycle's quotes, and applies the daily guards (peak equity, the daily loss halt) before any
order can be decided. An unreachable broker marks the cycle broker-less: entries then fail
closed and exits wait, with the book left untouched.
"""

from __future__ import annotations

from src.broker.errors import BrokerError
from src.core.clock import trading_day
from src.core.events import emit
from src.engine.cycle import CycleContext
from src.engine.fills import Repairs
from src.engine.positions import load_book
from src.engine.reconcile import reconcile
from src.engine.risk import AccountView, daily_loss_breached
from src.engine.step_state import SUBSYSTEM, V1Cycle, V1Runtime, broker_down, cycle_data, runtime, save_if_changed


def reconcile_step(ctx: CycleContext) -> None:
    rt, cyc = runtime(ctx), cycle_data(ctx)
    cyc.book = load_book(ctx.paths)
    cyc.saved = cyc.book.model_dump_json(exclude={"updated_at"})
    cyc.minutes_to_close = rt.minutes_to_close(ctx.now) if ctx.market_open else None
    try:
        repairs, snap = reconcile(rt.get_broker(), cyc.book, ctx.paths, ctx.now, rt.cfg, foreign_seen=rt.foreign_seen)
    except BrokerError as exc:
        cyc.broker_ok = False
        broker_down(ctx, "reconcile", exc)
        return
    cyc.broker_ok = True
    cyc.account = snap.get("account")
    cyc.attribution.extend(repairs.attribution)
    for bp in snap.get("positions", []):
        if bp.current_price:
            cyc.quotes[bp.symbol] = bp.current_price
    _daily_guards(ctx, rt, cyc)
    _count_repairs(ctx, repairs)
    save_if_changed(ctx, cyc)


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
