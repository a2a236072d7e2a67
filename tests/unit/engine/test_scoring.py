"""v1 scoring on hand-built records; expected values are worked out from the documented formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.engine.config import StrategyV1Config
from src.engine.scoring import score_symbol

CFG = StrategyV1Config()
NOW = 1_800_000_000.0


def full_long_record() -> dict:
    return {
        "price": 100.0,
        "last_update": NOW - 60,  # fresh -> freshness 1.0
        "flow": {
            "call_premium": 900_000.0,
            "put_premium": 100_000.0,  # imbalance 0.8, total 1M -> size 1.0
            "sweep_count": 7,
            "block_count": 1,
            "repeated_hits": 4,
            "sentiment": "BULLISH",
        },
        "dark_pool": {"print_count": 12, "total_notional": 25_000_000.0},  # half of full scale
        "greek_exposure": {"net_gamma": 10_000_000.0},  # above full scale, positive = long
        "oi_change": {"net_oi_change": 5_000.0},  # half of full scale
        "iv_rank": {"value": 40},
    }


def test_full_long_record_scores_as_worked_out() -> None:
    market = {"market_tide": {"data": [{"net_call_premium": "10000000", "net_put_premium": "35000000"}]}}
    r = score_symbol("AAPL", full_long_record(), market, CFG, now=NOW)
    # flow 2.5*0.8*1.0 = 2.0; dark pool 1.5*0.5 = 0.75; gamma 1.5*1 = 1.5; oi 0.7*0.5 = 0.35;
    # iv 0.3*0.4 = 0.12; tide is bearish (-25M) against a long -> 0
    # clusters = 7//3 + 1 = 3 -> 0.75 + repeated 0.25 = 1.0, capped at 0.75
    assert r.direction == "long"
    assert r.clusters == 3
    assert r.components["flow"] == pytest.approx(2.0)
    assert r.components["dark_pool"] == pytest.approx(0.75)
    assert r.components["gamma"] == pytest.approx(1.5)
    assert r.components["oi_change"] == pytest.approx(0.35)
    assert r.components["iv_rank"] == pytest.approx(0.12)
    assert r.components["market_tide"] == 0.0
    assert r.components["bonus"] == pytest.approx(0.75)
    assert r.score == pytest.approx(2.0 + 0.75 + 1.5 + 0.35 + 0.12 + 0.75)
    assert r.missing == []
    assert "flow" in r.signals() and "market_tide" not in r.signals()


def test_bearish_flow_scores_short_and_ignores_long_side_components() -> None:
    rec = {
        "last_update": NOW,
        "flow": {"call_premium": 200_000.0, "put_premium": 600_000.0, "sentiment": "BEARISH"},
        "greek_exposure": {"net_gamma": 2_500_000.0},  # positive gamma supports long, not short
        "oi_change": {"net_oi_change": -20_000},  # supports short, capped at 1.0
    }
    market = {"market_tide": {"data": {"net_call_premium": 0, "net_put_premium": 25_000_000}}}
    r = score_symbol("TSLA", rec, market, CFG, now=NOW)
    # imbalance -0.5, size 0.8 -> conviction 0.4 -> flow 1.0; gamma 0; oi 0.7; tide 0.5*0.5 = 0.25
    assert r.direction == "short"
    assert r.components["gamma"] == 0.0
    assert r.score == pytest.approx(1.0 + 0.7 + 0.25)
    assert set(r.missing) == {"dark_pool", "iv_rank", "price"}


def test_freshness_scales_components_but_not_bonus() -> None:
    rec = full_long_record()
    rec["last_update"] = NOW - (600 + 1500)  # halfway between full (600 s) and zero (3600 s)
    r = score_symbol("AAPL", rec, None, CFG, now=NOW)
    base = 2.0 + 0.75 + 1.5 + 0.35 + 0.12
    assert r.freshness == pytest.approx(0.5)
    assert r.score == pytest.approx(base * 0.5 + 0.75)
    assert "market_tide" in r.missing


def test_toxicity_penalty_and_clamp() -> None:
    rec = {"flow": {"call_premium": 1e6, "put_premium": 0.0}, "toxicity": 0.8}
    r = score_symbol("X", rec, None, CFG)
    # no sentiment: direction from imbalance +1 -> long; flow 2.5 - 0.8 penalty
    assert r.direction == "long"
    assert r.score == pytest.approx(2.5 - 0.8)
    big = {"flow": {"call_premium": 1e6, "put_premium": 0.0}, "toxicity": 5}
    assert score_symbol("X", big, None, CFG).toxicity == 1.0


def test_no_direction_scores_zero() -> None:
    rec = {
        "flow": {"call_premium": 500_000.0, "put_premium": 500_000.0, "sentiment": "NEUTRAL"},
        "dark_pool": {"total_notional": 1e9},
    }
    r = score_symbol("X", rec, None, CFG)
    assert r.direction == "none" and r.score == 0.0


def test_below_min_premium_gives_no_flow_component() -> None:
    rec = {"flow": {"call_premium": 50_000.0, "put_premium": 0.0, "sentiment": "BULLISH"}}
    assert score_symbol("X", rec, None, CFG).components["flow"] == 0.0


def test_strings_and_nan_are_tolerated() -> None:
    rec = {"flow": {"call_premium": "800000", "put_premium": float("nan"), "sweep_count": "x"}, "price": "12.5"}
    r = score_symbol("X", rec, None, CFG)
    assert r.price == 12.5
    assert r.components["flow"] == pytest.approx(2.5 * 0.8)


def test_non_mapping_record() -> None:
    for rec in (None, [], "junk", 3, [{"flow": {}}]):
        r = score_symbol("X", rec, None, CFG)  # type: ignore[arg-type]
        assert r.score == 0.0 and "record" in r.missing


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["BULLISH", "bearish", "1e400", "-5", "nan"]),
)
_value = st.recursive(
    _leaf,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=6), c, max_size=4)),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "flow",
        "dark_pool",
        "greek_exposure",
        "oi_change",
        "iv_rank",
        "price",
        "last_update",
        "toxicity",
        "sentiment",
        "call_premium",
        "put_premium",
        "net_premium",
        "sweep_count",
        "block_count",
        "repeated_hits",
        "net_gamma",
        "total_notional",
        "print_count",
        "value",
    ]
)
_record = st.recursive(
    st.dictionaries(_keys, _value, max_size=8),
    lambda c: st.dictionaries(_keys, st.one_of(c, _value), max_size=8),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    record=st.one_of(_record, _value),
    market=st.one_of(st.none(), st.dictionaries(st.just("market_tide"), _value)),
    now=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
)
def test_any_shape_scores_without_raising(record, market, now) -> None:
    r = score_symbol("SYM", record, market, CFG, now=now)
    assert 0.0 <= r.score <= 8.0 and math.isfinite(r.score)
    assert r.direction in ("long", "short", "none")
    assert r.clusters >= 0
    assert all(isinstance(v, float) and math.isfinite(v) for v in r.components.values())
