"""The shared market model: deterministic, continuous, plausible, and flow that leans with price."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta

from src.sim.market import MarketModel, data_session
from tests.unit.sim.conftest import MID_SESSION


def test_same_seed_same_prices_other_seed_differs() -> None:
    a, b, c = MarketModel(7), MarketModel(7), MarketModel(8)
    times = [MID_SESSION + timedelta(minutes=m) for m in range(0, 300, 17)]
    assert [a.price("AAPL", t) for t in times] == [b.price("AAPL", t) for t in times]
    assert [a.price("AAPL", t) for t in times] != [c.price("AAPL", t) for t in times]
    assert MarketModel.shared(7) is MarketModel.shared(7)


def test_price_is_continuous_within_and_across_days() -> None:
    m = MarketModel(7)
    for sym in ("AAPL", "SPY", "ZZZQ"):
        for t in (MID_SESSION, datetime(2026, 3, 11, 4, 59, 59, tzinfo=UTC)):  # midday; NY midnight
            p0, p1 = m.price(sym, t), m.price(sym, t + timedelta(seconds=2))
            assert abs(p1 / p0 - 1) < 0.002, (sym, t, p0, p1)


def test_daily_moves_are_plausible_and_session_is_busier_than_night() -> None:
    m = MarketModel(7)
    day0 = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
    closes = [m.price("NVDA", day0 + timedelta(days=d)) for d in range(0, 120)]
    rets = [math.log(b / a) for a, b in zip(closes, closes[1:], strict=False)]
    assert 0.003 < statistics.pstdev(rets) < 0.06
    assert max(closes) / min(closes) < 2.0
    open_t = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    day_moves = [abs(math.log(m.price("NVDA", open_t + timedelta(minutes=i + 1)) / m.price("NVDA", open_t + timedelta(minutes=i))))
                 for i in range(360)]
    night_t = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    night_moves = [abs(math.log(m.price("NVDA", night_t + timedelta(minutes=i + 1)) / m.price("NVDA", night_t + timedelta(minutes=i))))
                   for i in range(360)]
    assert statistics.mean(day_moves) > 3 * statistics.mean(night_moves)


def test_flow_alerts_lean_towards_the_coming_move() -> None:
    m = MarketModel(7)
    agree = total = 0
    for sym in ("AAPL", "TSLA", "NVDA", "SPY", "AMD", "META", "QQQ", "PLTR"):
        for day in range(2, 13):
            for a in m.flow_alerts(sym, datetime(2026, 3, day).date()):
                move = m.log_price(sym, a.ts + timedelta(minutes=30)) - m.log_price(sym, a.ts)
                if abs(move) > 0.002:
                    total += 1
                    agree += a.bullish == (move > 0)
    assert total > 200
    assert agree / total > 0.6


def test_alerts_and_prints_only_up_to_now() -> None:
    m = MarketModel(7)
    alerts = m.alerts_until("AAPL", MID_SESSION)
    prints = m.darkpool_until("AAPL", MID_SESSION)
    assert alerts and prints
    assert all(a.ts <= MID_SESSION for a in alerts) and all(p.ts <= MID_SESSION for p in prints)
    assert len(m.alerts_until("AAPL", MID_SESSION + timedelta(hours=2))) > len(alerts)
    market = m.market_alerts(MID_SESSION)
    assert market[0].ts >= market[-1].ts


def test_data_session_is_latest_opened_session() -> None:
    assert data_session(MID_SESSION).day.isoformat() == "2026-03-10"
    before_open = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert data_session(before_open).day.isoformat() == "2026-03-09"
    saturday = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)
    assert data_session(saturday).day.isoformat() == "2026-03-13"
