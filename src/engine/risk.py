"""Pre-entry risk checks and sizing: pure functions of an account snapshot and a candidate.

Fails closed: when equity or buying power is unknown no entry is allowed (the original
system failed open here). Every refusal carries a machine-readable reason so the step can
write it to `logs/blocked_trades.jsonl`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from src.engine.config import StrategyV1Config

# refusal reasons (stable strings: they are grepped in blocked_trades.jsonl)
ACCOUNT_UNAVAILABLE = "account_unavailable"
DAILY_LOSS_HALT = "daily_loss_limit"
DRAWDOWN_HALT = "max_drawdown"
MARKET_CLOSED = "market_closed"
NEAR_CLOSE = "too_close_to_close"
MAX_POSITIONS = "max_positions"
ALREADY_HELD = "already_held_or_pending"
COOLDOWN = "cooldown"
NOT_SHORTABLE = "not_shortable"
LONG_ONLY = "long_only"
NOT_TRADABLE = "not_tradable"
NO_PRICE = "no_price"
TOTAL_NOTIONAL_CAP = "total_notional_cap"
BUYING_POWER = "insufficient_buying_power"
QTY_ZERO = "qty_below_one_share"


@dataclass(frozen=True)
class AccountView:
    equity: float | None
    buying_power: float | None
    last_equity: float | None = None  # equity at the previous close (the day's loss baseline)
    peak_equity: float | None = None


@dataclass
class BookView:
    """What the engine holds now, after reconciliation."""

    held: set[str] = field(default_factory=set)  # symbols with a position or a pending order
    position_count: int = 0
    open_notional: float = 0.0
    cooldown_until: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    symbol: str
    side: str  # long | short
    price: float | None
    score: float
    tradable: bool = True
    shortable: bool = False


@dataclass(frozen=True)
class RiskDecision:
    allowed: bool
    reason: str = ""
    qty: int = 0
    notional: float = 0.0
    detail: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)  # the figures the refusal was decided on


def position_pct(score: float, cfg: StrategyV1Config) -> float:
    s = cfg.sizing
    if score > s.high_score:
        return s.high_pct
    if score < s.low_score:
        return s.low_pct
    return s.base_pct


def daily_loss_breached(acct: AccountView, cfg: StrategyV1Config) -> bool:
    if acct.equity is None or acct.last_equity is None or acct.last_equity <= 0:
        return False
    return (acct.equity - acct.last_equity) <= -cfg.risk.daily_loss_pct * acct.last_equity


def drawdown_breached(acct: AccountView, cfg: StrategyV1Config) -> bool:
    if acct.equity is None or acct.peak_equity is None or acct.peak_equity <= 0:
        return False
    return acct.equity <= acct.peak_equity * (1.0 - cfg.risk.max_drawdown_pct)


def _ok_number(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def check_entry(
    cand: Candidate,
    acct: AccountView,
    book: BookView,
    cfg: StrategyV1Config,
    *,
    now: datetime,
    market_open: bool,
    minutes_to_close: float | None,
    halted_today: bool = False,
) -> RiskDecision:
    """Decide whether `cand` may be entered now, and with how many shares."""
    if not _ok_number(acct.equity) or not _ok_number(acct.buying_power) or (acct.equity or 0) <= 0:
        return RiskDecision(
            False,
            ACCOUNT_UNAVAILABLE,
            detail=f"equity={acct.equity} buying_power={acct.buying_power}",
            numbers={"equity": acct.equity, "buying_power": acct.buying_power},
        )
    equity, bp = float(acct.equity or 0.0), float(acct.buying_power or 0.0)
    if halted_today or daily_loss_breached(acct, cfg):
        return RiskDecision(
            False,
            DAILY_LOSS_HALT,
            detail=f"equity={equity} last_equity={acct.last_equity}",
            numbers={"equity": equity, "last_equity": acct.last_equity, "daily_loss_pct": cfg.risk.daily_loss_pct},
        )
    if drawdown_breached(acct, cfg):
        return RiskDecision(
            False,
            DRAWDOWN_HALT,
            detail=f"equity={equity} peak={acct.peak_equity}",
            numbers={"equity": equity, "peak_equity": acct.peak_equity, "max_drawdown_pct": cfg.risk.max_drawdown_pct},
        )
    if not market_open:
        return RiskDecision(False, MARKET_CLOSED)
    if minutes_to_close is None or minutes_to_close <= cfg.risk.no_entry_minutes_before_close:
        return RiskDecision(
            False,
            NEAR_CLOSE,
            detail=f"minutes_to_close={minutes_to_close}",
            numbers={
                "minutes_to_close": minutes_to_close,
                "no_entry_minutes_before_close": cfg.risk.no_entry_minutes_before_close,
            },
        )
    if cand.symbol in book.held:
        return RiskDecision(False, ALREADY_HELD)
    if book.position_count >= cfg.risk.max_positions:
        return RiskDecision(
            False,
            MAX_POSITIONS,
            detail=f"{book.position_count}/{cfg.risk.max_positions}",
            numbers={"positions": book.position_count, "max_positions": cfg.risk.max_positions},
        )
    until = book.cooldown_until.get(cand.symbol)
    if until is not None and now < until:
        return RiskDecision(
            False,
            COOLDOWN,
            detail=f"until {until.isoformat()}",
            numbers={"cooldown_until": until.isoformat(), "cooldown_minutes": cfg.risk.cooldown_minutes},
        )
    if not cand.tradable:
        return RiskDecision(False, NOT_TRADABLE)
    if cand.side == "short":
        if cfg.entry.long_only:
            return RiskDecision(False, LONG_ONLY)
        if not cand.shortable:
            return RiskDecision(False, NOT_SHORTABLE)
    elif cand.side != "long":
        return RiskDecision(False, "no_direction")
    if not _ok_number(cand.price) or (cand.price or 0.0) <= 0:
        return RiskDecision(False, NO_PRICE)
    price = float(cand.price or 0.0)
    s = cfg.sizing
    notional = min(equity * position_pct(cand.score, cfg), s.max_position_notional)
    room = s.max_total_notional - max(0.0, book.open_notional)
    if room < price:
        return RiskDecision(
            False,
            TOTAL_NOTIONAL_CAP,
            detail=f"open={book.open_notional:.2f} cap={s.max_total_notional}",
            numbers={
                "open_notional": round(book.open_notional, 2),
                "max_total_notional": s.max_total_notional,
                "price": price,
            },
        )
    notional = min(notional, room)
    spendable = bp * s.buying_power_usage
    if spendable < price:
        return RiskDecision(
            False,
            BUYING_POWER,
            detail=f"buying_power={bp:.2f}",
            numbers={"buying_power": bp, "spendable": round(spendable, 2), "price": price},
        )
    notional = min(notional, spendable)
    qty = int(math.floor(notional / price + 1e-9))
    if qty < 1:
        return RiskDecision(
            False,
            QTY_ZERO,
            detail=f"notional={notional:.2f} price={price}",
            numbers={"notional": notional, "price": price},
        )
    return RiskDecision(True, "", qty=qty, notional=round(qty * price, 2))


def cooldown_end(exit_ts: datetime, cfg: StrategyV1Config) -> datetime:
    return exit_ts + timedelta(minutes=cfg.risk.cooldown_minutes)
