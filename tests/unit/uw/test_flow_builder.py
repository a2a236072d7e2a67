"""Payload -> cache record: documented field names, de-duplication, tolerance of type drift."""

from __future__ import annotations

import pytest

from src.uw import flow_builder as fb


def alert(kind: str, premium: str, **extra):
    return {
        "ticker": "AAPL", "type": kind, "total_premium": premium, "option_chain": f"AAPL{kind}{premium}",
        "created_at": "2026-11-24T15:00:00Z", "total_size": 10, "underlying_price": "281.5",
        "has_sweep": False, "has_floor": False, "trade_count": 3, "alert_rule": "", **extra,
    }  # fmt: skip


def test_flow_record_fields_and_sentiment():
    store = fb.TradeStore()
    rows = [
        alert("call", "300000", has_sweep=True),
        alert("call", "200000", alert_rule="RepeatedHits"),
        alert("put", "100000", has_floor=True),
    ]
    touched, usable = fb.ingest(store, rows, fb.alert_trade)
    assert touched == {"AAPL"} and usable == 3
    fb.ingest(store, rows, fb.alert_trade)  # the same alerts again (symbol poll + market feed)
    rec = fb.flow_record(store.trades("AAPL"))
    assert rec["call_premium"] == 500000 and rec["put_premium"] == 100000 and rec["net_premium"] == 400000
    assert rec["alert_count"] == 3 and rec["sweep_count"] == 1 and rec["block_count"] == 1
    assert rec["repeated_hits"] == 1 and rec["sentiment"] == "BULLISH"
    assert fb.last_price(store.trades("AAPL"))[0] == 281.5


def test_wrong_types_are_bad_payload_not_exceptions():
    drifted = [{"ticker": {"value": "AAPL"}, "type": None, "total_premium": "1.5!"}]
    with pytest.raises(fb.BadPayload):
        fb.ingest(fb.TradeStore(), drifted, fb.alert_trade)
    with pytest.raises(fb.BadPayload):
        fb.greek_exposure_record([{"date": "2026-11-24", "call_gamma": "x!", "put_gamma": None}])
    with pytest.raises(fb.BadPayload):
        fb.iv_rank_record([{"date": "2026-11-24", "iv_rank_1y": {"value": "3"}}])
    assert fb.num("1.5!") is None and fb.num(True) is None and fb.num("nan") is None and fb.num("2") == 2.0


def test_latest_row_wins_whatever_the_order():
    rows = [
        {"date": "2026-11-20", "call_gamma": "1", "put_gamma": "-1"},
        {"date": "2026-11-24", "call_gamma": "5", "put_gamma": "-2"},
    ]
    rec = fb.greek_exposure_record(rows)
    assert rec["net_gamma"] == 3.0 and rec["date"] == "2026-11-24"
    iv = fb.iv_rank_record([{"date": "2026-11-24", "iv_rank_1y": "40"}, {"date": "2026-10-01", "iv_rank_1y": "10"}])
    assert iv["value"] == 40.0


def test_dark_pool_and_oi_change():
    store = fb.TradeStore()
    prints = [
        {"ticker": "MSFT", "price": "100", "size": 10, "tracking_id": 1, "executed_at": "2026-11-24T15:00:00Z"},
        {"ticker": "MSFT", "price": "110", "size": 10, "tracking_id": 2, "executed_at": "2026-11-24T15:01:00Z"},
        {"ticker": "MSFT", "price": "999", "size": 10, "tracking_id": 3, "canceled": True},
    ]
    fb.ingest(store, prints, fb.darkpool_trade)
    dp = fb.dark_pool_record(store.trades("MSFT"))
    assert dp == {"print_count": 2, "total_notional": 2100.0, "total_size": 20.0, "avg_price": 105.0}
    oi = fb.oi_change_record(
        [
            {"option_symbol": "MSFT261204C00300000", "oi_diff_plain": 50},
            {"option_symbol": "MSFT261204P00300000", "oi_diff_plain": -20},
        ]
    )
    assert oi["net_oi_change"] == 30 and oi["call_oi_change"] == 50 and oi["put_oi_change"] == -20


def test_store_rolls_over_at_day_change():
    store = fb.TradeStore()
    store.roll("2026-11-24")
    fb.ingest(store, [alert("call", "1000")], fb.alert_trade)
    store.roll("2026-11-25")
    assert store.trades("AAPL") == []
