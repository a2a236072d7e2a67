"""Risk checks and sizing with hand-worked numbers, plus a cap property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from src.engine import risk
from src.engine.config import StrategyV1Config
from src.engine.risk import AccountView, BookView, Candidate, check_entry

CFG = StrategyV1Config()
NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
ACCT = AccountView(equity=100_000.0, buying_power=200_000.0, last_equity=100_000.0)


def decide(cand: Candidate, acct: AccountView = ACCT, book: BookView | None = None, **kw) -> risk.RiskDecision:
    kw.setdefault("market_open", True)
    kw.setdefault("minutes_to_close", 120.0)
    return check_entry(cand, acct, book or BookView(), CFG, now=NOW, **kw)


def test_sizing_tiers() -> None:
    # score 4.0 -> base 1.5% of 100k = 1500 / 50 = 30 shares; score 3.0 < 3.5 -> 1% -> 20
    assert decide(Candidate("A", "long", 50.0, 4.0)).qty == 30
    assert decide(Candidate("A", "long", 50.0, 3.0)).qty == 20
    # score 5.0 > 4.5 -> 2% = 2000 / 50 = 40
    assert decide(Candidate("A", "long", 50.0, 5.0)).qty == 40
    # score 3.2 < 3.5 -> 1% = 1000 / 30 = 33.3 -> 33
    d = decide(Candidate("A", "long", 30.0, 3.2))
    assert d.allowed and d.qty == 33 and d.notional == 990.0


def test_per_position_notional_cap() -> None:
    rich = AccountView(equity=1_000_000.0, buying_power=2_000_000.0, last_equity=1_000_000.0)
    # 2% of 1M = 20k, capped at 5k -> 5000/100 = 50
    assert decide(Candidate("A", "long", 100.0, 6.0), rich).qty == 50


def test_total_notional_cap_and_buying_power() -> None:
    book = BookView(open_notional=59_950.0, position_count=3)
    assert decide(Candidate("A", "long", 100.0, 3.0), book=book).reason == risk.TOTAL_NOTIONAL_CAP
    book = BookView(open_notional=59_000.0, position_count=3)
    assert decide(Candidate("A", "long", 100.0, 3.0), book=book).qty == 10  # 1000 of room left
    poor = AccountView(equity=100_000.0, buying_power=500.0, last_equity=100_000.0)
    assert decide(Candidate("A", "long", 100.0, 3.0), poor).qty == 4  # 475 spendable / 100


def test_fail_closed_without_account() -> None:
    for acct in (AccountView(None, 1.0), AccountView(1.0, None), AccountView(float("nan"), 1.0), AccountView(0.0, 5.0)):
        assert decide(Candidate("A", "long", 10.0, 3.0), acct).reason == risk.ACCOUNT_UNAVAILABLE


def test_daily_loss_limit() -> None:
    # lost 4% of 100k: halt
    acct = AccountView(equity=96_000.0, buying_power=1e5, last_equity=100_000.0)
    assert decide(Candidate("A", "long", 10.0, 3.0), acct).reason == risk.DAILY_LOSS_HALT
    acct = AccountView(equity=96_100.0, buying_power=1e5, last_equity=100_000.0)
    assert decide(Candidate("A", "long", 10.0, 3.0), acct).allowed
    assert decide(Candidate("A", "long", 10.0, 3.0), halted_today=True).reason == risk.DAILY_LOSS_HALT


def test_drawdown() -> None:
    acct = AccountView(equity=80_000.0, buying_power=1e5, last_equity=80_000.0, peak_equity=100_000.0)
    assert decide(Candidate("A", "long", 10.0, 3.0), acct).reason == risk.DRAWDOWN_HALT


def test_session_rules() -> None:
    c = Candidate("A", "long", 10.0, 3.0)
    assert decide(c, market_open=False).reason == risk.MARKET_CLOSED
    assert decide(c, minutes_to_close=15.0).reason == risk.NEAR_CLOSE
    assert decide(c, minutes_to_close=15.5).allowed


def test_book_rules() -> None:
    c = Candidate("A", "long", 10.0, 3.0)
    assert decide(c, book=BookView(position_count=16)).reason == risk.MAX_POSITIONS
    assert decide(c, book=BookView(held={"A"})).reason == risk.ALREADY_HELD
    cool = BookView(cooldown_until={"A": NOW + timedelta(minutes=1)})
    assert decide(c, book=cool).reason == risk.COOLDOWN
    assert decide(c, book=BookView(cooldown_until={"A": NOW})).allowed
    assert risk.cooldown_end(NOW, CFG) == NOW + timedelta(minutes=15)


def test_shorts() -> None:
    assert decide(Candidate("A", "short", 10.0, 3.0, shortable=False)).reason == risk.NOT_SHORTABLE
    assert decide(Candidate("A", "short", 10.0, 3.0, shortable=True)).allowed
    assert decide(Candidate("A", "long", 10.0, 3.0, tradable=False)).reason == risk.NOT_TRADABLE
    assert decide(Candidate("A", "long", None, 3.0)).reason == risk.NO_PRICE
    assert decide(Candidate("A", "long", 20_000.0, 3.0)).reason == risk.QTY_ZERO


@settings(max_examples=300, deadline=None)
@given(
    equity=st.floats(min_value=0, max_value=1e8),
    bp=st.floats(min_value=0, max_value=1e8),
    open_notional=st.floats(min_value=0, max_value=1e6),
    count=st.integers(min_value=0, max_value=40),
    price=st.floats(min_value=0.01, max_value=1e5),
    score=st.floats(min_value=0, max_value=8),
)
def test_never_exceeds_caps(equity, bp, open_notional, count, price, score) -> None:
    d = decide(
        Candidate("A", "long", price, score),
        AccountView(equity, bp, equity),
        BookView(position_count=count, open_notional=open_notional),
    )
    if not d.allowed:
        assert d.qty == 0
        return
    s = CFG.sizing
    assert count < CFG.risk.max_positions
    assert d.qty >= 1
    assert d.qty * price <= s.max_position_notional + 1e-6
    assert open_notional + d.qty * price <= s.max_total_notional + 1e-6
    assert d.qty * price <= bp * s.buying_power_usage + 1e-6
    assert d.qty * price <= equity * s.high_pct + 1e-6
