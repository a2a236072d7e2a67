"""Exit rules on hand-built positions (long and short), each reason worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.engine import exits
from src.engine.config import StrategyV1Config
from src.engine.exits import evaluate_exit, pnl_pct, update_high_water
from src.engine.positions import Position

CFG = StrategyV1Config()
T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def pos(side="long", entry=100.0, hw=0.0, score=4.0, minutes_ago=5.0) -> Position:
    return Position(
        symbol="A",
        side=side,
        qty=10,
        entry_price=entry,
        high_water=hw,
        entry_score=score,
        entry_ts=(T0 - timedelta(minutes=minutes_ago)).isoformat(),
    )


def reason(p: Position, price: float, **kw) -> str | None:
    d = evaluate_exit(p, price, T0, CFG, **kw)
    return d.reason if d else None


def test_pnl_sign() -> None:
    assert pnl_pct("long", 100, 101) == pytest.approx(0.01)
    assert pnl_pct("short", 100, 101) == pytest.approx(-0.01)


def test_stop_loss_both_sides() -> None:
    assert reason(pos(), 99.0) == exits.STOP_LOSS  # -1.0%
    assert reason(pos(), 99.01) is None
    assert reason(pos("short"), 101.0) == exits.STOP_LOSS


def test_profit_target() -> None:
    assert reason(pos(), 100.75) == exits.PROFIT_TARGET
    assert reason(pos("short"), 99.25) == exits.PROFIT_TARGET
    assert reason(pos(), 100.74) is None


def test_trailing_stop_from_high_water() -> None:
    # long ran to 100.6 (not at target), falls 1.5% from there to 99.091 (pnl -0.909%, above stop)
    p = pos(hw=100.6)
    assert reason(p, 100.6 * (1 - 0.015)) == exits.TRAILING_STOP
    assert reason(p, 100.6 * (1 - 0.014)) is None
    s = pos("short", hw=99.4)
    assert reason(s, 99.4 * 1.015) == exits.TRAILING_STOP
    assert update_high_water(pos(hw=100.6), 100.7) == 100.7
    assert update_high_water(pos("short", hw=99.4), 99.5) == 99.4


def test_time_and_stale() -> None:
    assert reason(pos(minutes_ago=150), 100.3) == exits.TIME_EXIT
    assert reason(pos(minutes_ago=121), 100.1) == exits.STALE_TRADE  # pnl 0.1% < 0.2%
    assert reason(pos(minutes_ago=121), 100.3) is None


def test_flatten_before_close() -> None:
    assert reason(pos(), 100.1, minutes_to_close=5.0) == exits.FLATTEN_BEFORE_CLOSE
    assert reason(pos(), 100.1, minutes_to_close=5.1) is None


def test_score_decay_and_reversal() -> None:
    assert reason(pos(score=4.0), 100.1, current_score=2.3) == exits.SCORE_DECAY  # < 2.4
    assert reason(pos(score=4.0), 100.1, current_score=2.5) is None
    assert reason(pos(), 100.1, current_score=4.0, current_direction="short") == exits.FLOW_REVERSAL
    assert reason(pos(), 100.1, current_score=4.0, current_direction="none") is None


def test_no_price_no_exit() -> None:
    assert evaluate_exit(pos(), None, T0, CFG) is None
    assert evaluate_exit(pos(entry=0.0), 5.0, T0, CFG) is None
