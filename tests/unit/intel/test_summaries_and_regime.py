"""Pure intel maths: payload summaries and regime detection from hand-built inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from src.intel.regime_detector import detect_regime, regime_multiplier
from src.intel.summaries import (
    summarize_earnings,
    summarize_flow_alerts,
    summarize_net_premium,
    summarize_tide,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _tide_rows(nets: list[tuple[float, float]]) -> dict:
    return {
        "data": [
            {
                "net_call_premium": str(c),
                "net_put_premium": str(p),
                "timestamp": f"2026-03-09 {9 + i // 12:02d}:{(i % 12) * 5:02d}:00-04:00",
            }
            for i, (c, p) in enumerate(nets)
        ]
    }


def test_tide_bullish_when_calls_bought_and_puts_sold() -> None:
    s = summarize_tide(_tide_rows([(100, -50), (80, -20)]), NOW)
    assert s["net_premium"] == 250.0  # 180 call - (-70) put
    assert s["tide_ratio"] == 1.0 and s["bias"] == "BULLISH"
    assert s["persistence"] == 1.0 and s["sign_flips"] == 0
    assert s["as_of"].startswith("2026-03-09T13:05")


def test_tide_chop_counts_sign_flips() -> None:
    s = summarize_tide(_tide_rows([(10, 0), (-20, 0), (20, 0), (-20, 0), (15, 0)]), NOW)
    assert s["sign_flips"] == 4


def test_flow_alerts_split_calls_and_puts() -> None:
    s = summarize_flow_alerts(
        {
            "data": [
                {
                    "type": "call",
                    "total_premium": "300000",
                    "has_sweep": True,
                    "created_at": "2026-03-10 11:00:00+00:00",
                },
                {"type": "put", "total_premium": "100000", "has_sweep": False},
                {"type": "call", "total_premium": None},
            ]
        },
        NOW,
    )
    assert (s["call_premium"], s["put_premium"], s["net_premium"]) == (300000.0, 100000.0, 200000.0)
    assert s["sweep_count"] == 1 and s["alert_count"] == 3 and s["sentiment"] == "BULLISH"


def test_net_premium_from_flow_recent_ask_minus_bid() -> None:
    s = summarize_net_premium(
        {
            "data": [
                {
                    "call_premium_ask_side": "800",
                    "call_premium_bid_side": "200",
                    "put_premium_ask_side": "100",
                    "put_premium_bid_side": "400",
                }
            ]
        },
        NOW,
    )
    assert s["net_call_premium"] == 600 and s["net_put_premium"] == -300 and s["net_premium"] == 900
    assert s["net_ratio"] == 1.0


def test_earnings_proximity_picks_next_report() -> None:
    s = summarize_earnings(
        {
            "data": [
                {"report_date": "2026-03-12", "report_time": "postmarket"},
                {"report_date": "2026-06-12"},
                {"report_date": "2025-12-01"},
            ]
        },
        date(2026, 3, 10),
        NOW,
    )
    assert s["next_report_date"] == "2026-03-12" and s["days_to_earnings"] == 2
    assert s["last_report_date"] == "2025-12-01"


def test_no_inputs_is_neutral_flagged_and_multiplier_one() -> None:
    r = detect_regime(None, None)
    assert r.regime == "neutral" and r.confidence == 0.0 and "no_inputs" in r.flags
    assert regime_multiplier(r.regime, "long") == 1.0 and regime_multiplier(r.regime, "short") == 1.0


def test_directional_tide_gives_risk_on_or_off() -> None:
    up = detect_regime({"intervals": 10, "tide_ratio": 0.4, "persistence": 0.5, "sign_flips": 1}, None)
    down = detect_regime({"intervals": 10, "tide_ratio": -0.4, "persistence": 0.5, "sign_flips": 1}, None)
    assert up.regime == "risk_on" and down.regime == "risk_off"
    assert regime_multiplier("risk_on", "long") > 1.0 > regime_multiplier("risk_on", "short")


def test_high_volatility_outranks_direction_and_keeps_it_as_flag() -> None:
    r = detect_regime(
        {"intervals": 10, "tide_ratio": 0.5, "persistence": 0.9, "sign_flips": 0},
        {"median_iv": 0.7, "median_iv_rank": 85},
    )
    assert r.regime == "high_volatility"
    assert "also_risk_on" in r.flags and "also_trend" in r.flags


def test_flat_flipping_tide_is_chop() -> None:
    r = detect_regime(
        {"intervals": 20, "tide_ratio": 0.02, "persistence": 0.4, "sign_flips": 5},
        {"median_iv": 0.25, "median_iv_rank": 30},
    )
    assert r.regime == "chop"
