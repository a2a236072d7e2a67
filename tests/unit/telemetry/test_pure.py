"""Pure telemetry maths on hand-built records: parsing, pairing, classification, stats, advice."""

from __future__ import annotations

import pytest

from src.telemetry.families import dominant_family, family_of
from src.telemetry.models import SignalRow
from src.telemetry.parity import classify, pair_symbol
from src.telemetry.perf import PerfAcc
from src.telemetry.readers import DayWindow, Entry, date_bounds, parse_trade, parse_ts, parse_ts_within
from src.telemetry.signals import recommend

T0 = parse_ts("2026-03-04T15:00:00Z")


def e(offset_s: float, side: str = "long", price: float | None = 100.0, score: float | None = 3.0) -> Entry:
    return Entry(T0 + offset_s, "AAPL", side, score, price, {})


@pytest.mark.parametrize("value,expected", [
    ("2026-03-04T15:00:00Z", T0), ("2026-03-04T15:00:00+00:00", T0), ("2026-03-04T10:00:00-05:00", T0),
    ("2026-03-04T15:00:00", T0), (T0, T0), (T0 * 1000, T0), ("garbage", None), (None, None), (True, None), (-5, None),
])
def test_parse_ts(value, expected) -> None:
    assert parse_ts(value) == expected


def test_date_prefix_filter_never_drops_an_in_range_offset_timestamp() -> None:
    w = DayWindow.for_day("2026-03-04")
    bounds = date_bounds(w.start, w.end)
    # 23:30 New York on the 4th is 04:30 UTC on the 5th; written with its offset it still says the 4th
    assert w.contains(parse_ts_within("2026-03-04T23:30:00-05:00", bounds))
    assert w.contains(parse_ts_within("2026-03-05T04:30:00Z", bounds))
    assert parse_ts_within("2026-02-01T12:00:00Z", bounds) is None


def test_day_window_uses_the_exchange_close() -> None:
    assert DayWindow.for_day("2026-11-27").close == parse_ts("2026-11-27T18:00:00Z")  # day after Thanksgiving
    assert DayWindow.for_day("2026-07-06").close == parse_ts("2026-07-06T20:00:00Z")  # EDT


def test_trade_pnl_falls_back_to_prices() -> None:
    t = parse_trade({"symbol": "x", "side": "short", "entry_price": 10, "exit_price": 9, "size": 3})
    assert t is not None and t.symbol == "X" and t.pnl == 3.0
    assert parse_trade({"symbol": "X", "side": "long"}) is None  # nothing to compute a PnL from
    assert parse_trade({"realized_pnl_usd": 5}) is None


@pytest.mark.parametrize("v2,expected", [
    (e(60, price=100.1), "perfect_match"), (e(61), "near_match"), (e(-900, price=100.9), "near_match"),
    (e(30, price=101.5), "divergent"), (e(901), "divergent"), (e(0, side="short"), "divergent"),
    (e(10, price=None), "perfect_match"),
])
def test_classify_thresholds(v2: Entry, expected: str) -> None:
    assert classify(e(0), v2) == expected


def test_pairing_takes_the_nearest_free_v2_entry() -> None:
    v1 = [e(0), e(1000), e(5000)]
    v2 = [e(990), e(20), e(7000), e(9000)]
    rows = pair_symbol("AAPL", v1, v2)
    pairs = sorted((r.entry_ts_delta_seconds, r.classification) for r in rows if r.v1_entry_ts and r.v2_entry_ts)
    # 0 <-> 20 (perfect), 1000 <-> 990 (perfect), 5000 <-> 7000 (nearest free, divergent)
    assert pairs == [(-10.0, "perfect_match"), (20.0, "perfect_match"), (2000.0, "divergent")]
    assert [r.classification for r in rows if not r.v1_entry_ts] == ["missing_in_v1"]


def test_pairing_with_nothing_on_one_side() -> None:
    assert [r.classification for r in pair_symbol("AAPL", [e(0), e(5)], [])] == ["missing_in_v2"] * 2
    assert [r.missing_fields for r in pair_symbol("AAPL", [], [e(0, score=None)])] == [
        ["v1_entry_ts", "v1_score_at_entry", "v2_score_at_entry", "v1_price_at_entry"]]


def test_perf_acc_breakeven_and_expectancy() -> None:
    acc = PerfAcc()
    for pnl in (10.0, -5.0, 0.0, 20.0):
        acc.add(pnl)
    s = acc.stats()
    assert (s.trade_count, s.wins, s.losses) == (4, 2, 1)
    assert s.avg_win_usd == 15.0 and s.avg_loss_usd == -5.0
    assert s.expectancy_usd == pytest.approx(2 / 4 * 15 + 1 / 4 * -5) == s.avg_pnl_usd
    assert PerfAcc().stats().win_rate == 0.0


def _row(n: int, exp: float, wr: float) -> SignalRow:
    return SignalRow(signal="s", family="flow", trade_count=n, live_trade_count=0, shadow_trade_count=n, win_rate=wr,
                     total_pnl_usd=exp * n, avg_pnl_usd=exp, avg_win_usd=0, avg_loss_usd=0, expectancy_usd=exp)


@pytest.mark.parametrize("row,expected", [
    (_row(4, 10, 0.9), "insufficient_data"), (_row(10, 5, 0.6), "increase"), (_row(10, -5, 0.3), "decrease"),
    (_row(10, 5, 0.3), "hold"), (_row(10, -5, 0.7), "hold"),
])
def test_recommendations(row: SignalRow, expected: str) -> None:
    r = recommend(row)
    assert r.recommendation == expected
    assert (r.suggested_multiplier > 1) == (expected == "increase")


def test_families() -> None:
    assert family_of("dark_pool") == "darkpool" and family_of("options_flow") == "flow"
    assert family_of("sector_shift") == "sector" and family_of("iv_rank") == "volatility"
    assert family_of("mystery") == "other"
    assert dominant_family({"options_flow": 1.0, "dark_pool": -2.0}) == "darkpool"
    assert dominant_family({}) == "other"


def test_trade_shape_of_the_shadow_and_engine_writers() -> None:
    """Both writers nest components under feature_snapshot and may name the regime `entry_regime`."""
    t = parse_trade({"symbol": "AAPL", "side": "long", "source": "shadow", "realized_pnl_usd": 4.0,
                     "exit_ts": "2026-03-04T15:00:00Z",
                     "feature_snapshot": {"v2_score": 3.2, "components": {"options_flow": 1.5, "note": "x"},
                                          "sector": "Technology", "vol_pct": None},
                     "regime_snapshot": {"entry_regime": "risk_on", "exit_regime": "risk_off"}})
    assert t is not None
    assert t.features == {"v2_score": 3.2, "components.options_flow": 1.5}
    assert (t.regime, t.sector) == ("risk_on", "Technology")
    assert family_of("components.options_flow") == "flow"


def test_v1_attribution_shape_of_the_engine_writer() -> None:
    from src.telemetry.readers import SKIP, parse_v1_entry

    e1 = parse_v1_entry({"ts": "2026-03-04T15:00:00Z", "symbol": "aapl", "side": "long", "score": 3.1,
                         "entry_price": 180.5, "components": {"flow": 2.0}, "via": "entry"})
    assert e1 is not None and e1 is not SKIP and e1.price == 180.5 and e1.symbol == "AAPL"
    assert parse_v1_entry({"ts": "2026-03-04T15:00:00Z", "symbol": "AAPL", "via": "adopted"}) is SKIP
