"""The shadow trader's pure decisions: entries, refusals, exits, replacement, slippage, sizing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.exit.exit_attribution import ATTRIBUTION_KEYS
from src.exit.models import ExitV2Config
from src.shadow.config import ShadowV2Config
from src.shadow.state import ShadowState
from src.shadow.trader import decide_cycle, fill_price, size_for

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
CFG = ShadowV2Config()
XCFG = ExitV2Config()


def view(sym, score, price, direction="long", **snap):
    s = {"v2_score": score, "direction": direction}
    s.update(snap)
    return {
        "symbol": sym,
        "price": price,
        "v2_score": score,
        "v1_score": score - 0.2,
        "direction": direction,
        "components": {"flow": 1.2, "dark_pool": 0.0},
        "uw_adjustments": {"flow": 0.3},
        "regime": snap.get("regime"),
        "sector": "TECH",
        "snapshot": s,
        "inputs": {"intel": {"premarket_intel": "ok"}},
    }


def test_entries_rank_size_and_slippage() -> None:
    views = {"AAA": view("AAA", 4.0, 100.0), "BBB": view("BBB", 5.0, 50.0), "LOW": view("LOW", 2.0, 10.0)}
    state, rows = decide_cycle(ShadowState(), views, T0, CFG, XCFG, cycle=1)
    assert [(r["symbol"], r["action"]) for r in rows] == [("BBB", "entry"), ("AAA", "entry")]
    a = state.positions["AAA"]
    assert a.entry_price == pytest.approx(100.05)  # 5 bps against a buy
    assert a.qty == 14  # 1.5% of 100k / 100.05
    assert state.positions["BBB"].qty == 39  # score 5 > 4.5 -> 2.0%: 2000 / 50.025
    assert [r["seq"] for r in rows] == [1, 2] and state.last_seq == 2
    row = rows[1]
    for k in (
        "ts",
        "symbol",
        "action",
        "side",
        "v2_score",
        "v1_score",
        "price",
        "components",
        "reason",
        "regime",
        "sector",
        "inputs",
        "schema_version",
    ):
        assert k in row
    assert row["position"]["signals"] == ["flow", "uw:flow"]


def test_refusals_are_logged_with_reasons() -> None:
    cfg = CFG.model_copy(update={"max_positions": 1, "max_entries_per_cycle": 1, "long_only": True})
    views = {
        "AAA": view("AAA", 4.0, 100.0),
        "BBB": view("BBB", 3.5, 50.0),
        "SHRT": view("SHRT", 3.8, 20.0, "short"),
        "NOPX": view("NOPX", 3.9, None),
    }
    state, rows = decide_cycle(ShadowState(), views, T0, cfg, XCFG)
    got = {(r["symbol"], r["action"], r["reason"]) for r in rows}
    assert got == {
        ("AAA", "entry", "v2_score_above_threshold"),
        ("NOPX", "refused", "no_price"),
        ("SHRT", "refused", "long_only"),
        ("BBB", "refused", "max_positions"),
    }
    assert list(state.positions) == ["AAA"]
    # the same refusal next cycle is not journaled again; a changed one is
    views["BBB"] = view("BBB", 3.5, 50.0)
    _, again = decide_cycle(state, views, T0 + timedelta(minutes=1), cfg, XCFG)
    assert again == []
    _, changed = decide_cycle(state, dict(views, NOPX=view("NOPX", 3.9, 12.0)), T0 + timedelta(minutes=1), cfg, XCFG)
    assert [(r["symbol"], r["reason"]) for r in changed] == [("NOPX", "max_positions")]


def test_input_state_is_not_modified() -> None:
    s0 = ShadowState()
    decide_cycle(s0, {"AAA": view("AAA", 4.0, 100.0)}, T0, CFG, XCFG)
    assert s0.positions == {} and s0.last_seq == 0


def _held(sym="AAA", price=100.0, **snap):
    state, _ = decide_cycle(ShadowState(), {sym: view(sym, 4.0, price, **snap)}, T0, CFG, XCFG)
    return state


def test_static_stop_loss_exit_with_attribution_and_master_trade() -> None:
    state = _held()
    pos = state.positions["AAA"]
    later = T0 + timedelta(minutes=42)
    state2, rows = decide_cycle(state, {"AAA": view("AAA", 3.9, 98.9)}, later, CFG, XCFG)
    assert "AAA" not in state2.positions and state2.closed_trades == 1
    (row,) = rows
    assert row["action"] == "exit" and row["reason"] == "stop_loss"  # static -1% of 100.05 = 99.0495
    exit_px = 98.9 * (1 - 0.0005)
    assert row["price"] == pytest.approx(exit_px)
    assert row["pnl"] == pytest.approx((exit_px - pos.entry_price) * pos.qty)
    att = row["attribution"]
    assert all(k in att for k in ATTRIBUTION_KEYS)
    assert att["time_in_trade_minutes"] == 42.0 and att["qty"] == pos.qty
    m = row["master_trade"]
    assert (m["is_live"], m["is_shadow"], m["source"], m["trade_id"]) == (False, True, "shadow", pos.trade_id)
    assert m["realized_pnl_usd"] == pytest.approx(row["pnl"]) and m["exit_ts"].endswith("+00:00")
    assert state2.realized_pnl_usd == pytest.approx(row["pnl"])
    # the symbol cools down for 15 minutes
    _, rows3 = decide_cycle(state2, {"AAA": view("AAA", 4.0, 99.0)}, later + timedelta(minutes=5), CFG, XCFG)
    assert [(r["action"], r["reason"]) for r in rows3] == [("refused", "cooldown")]
    _, rows4 = decide_cycle(state2, {"AAA": view("AAA", 4.0, 99.0)}, later + timedelta(minutes=16), CFG, XCFG)
    assert [r["action"] for r in rows4] == ["entry"]


def test_dynamic_target_exit_uses_vol_and_regime() -> None:
    state = _held(vol_pct=2.0, regime="risk_on")
    pos = state.positions["AAA"]
    # target = 2 x 0.5 x 1.2 = 1.2% above 100.05 = 101.2506
    _, rows = decide_cycle(
        state,
        {"AAA": dict(view("AAA", 4.0, 101.2), vol_pct=2.0, regime="risk_on")},
        T0 + timedelta(minutes=5),
        CFG,
        XCFG,
    )
    assert rows == []
    _, rows = decide_cycle(
        state,
        {"AAA": dict(view("AAA", 4.0, 101.3), vol_pct=2.0, regime="risk_on")},
        T0 + timedelta(minutes=6),
        CFG,
        XCFG,
    )
    assert rows[0]["reason"] == "profit_target"
    assert rows[0]["plan"]["target"]["source"] == "dynamic"
    assert rows[0]["plan"]["target"]["target_price"] == pytest.approx(pos.entry_price * 1.012)


def test_replacement_needs_exit_score_and_margin() -> None:
    entry_snap = dict(flow_net_premium=1e6, sentiment=1.0, regime="risk_on", darkpool_notional=5e6)
    state = _held(**entry_snap)
    decayed = view(
        "AAA",
        3.0,
        100.2,
        flow_net_premium=0.0,
        sentiment=0.0,
        regime="risk_off",
        regime_confidence=1.0,
        darkpool_notional=0.0,
    )
    decayed["regime"] = "risk_off"
    later = T0 + timedelta(minutes=30)
    # exit score 0.05 + 0.2 + 0.075 + 0.15 + 0.1 = 0.575: above 0.5 (replacement), below 0.7 (exit)
    _, rows = decide_cycle(state, {"AAA": decayed, "NEW": view("NEW", 3.7, 20.0)}, later, CFG, XCFG)
    assert [(r["symbol"], r["action"]) for r in rows] == [("NEW", "entry")]  # 3.7 < 3.0 + 0.75: no replacement
    assert all(r["action"] != "replacement" for r in rows)
    full = CFG.model_copy(update={"max_positions": 1})
    st, rows = decide_cycle(state, {"AAA": decayed, "NEW": view("NEW", 3.9, 20.0)}, later, full, XCFG)
    assert [(r["symbol"], r["action"]) for r in rows] == [("AAA", "replacement"), ("NEW", "entry")]
    rep = rows[0]
    assert rep["exit_score"] == pytest.approx(0.575)
    assert rep["attribution"]["exit_reason"] == "replacement"
    assert rep["attribution"]["replacement_candidate"] == "NEW"
    assert rep["attribution"]["replacement_reasoning"]["score_delta"] == pytest.approx(0.9)
    assert rows[1]["reason"] == "replacement_for:AAA"
    assert list(st.positions) == ["NEW"]


def test_every_input_missing_is_safe() -> None:
    state = _held()
    st, rows = decide_cycle(state, {}, T0 + timedelta(minutes=1), CFG, XCFG)
    assert rows == [] and list(st.positions) == ["AAA"]
    st, rows = decide_cycle(state, {"AAA": {"symbol": "AAA"}, "X": {}}, T0 + timedelta(minutes=1), CFG, XCFG)
    assert rows == [] and list(st.positions) == ["AAA"]


def test_slippage_models() -> None:
    assert fill_price(100.0, True, CFG) == pytest.approx(100.05)
    assert fill_price(100.0, False, CFG) == pytest.approx(99.95)
    none = CFG.model_copy(update={"slippage": CFG.slippage.model_copy(update={"model": "none"})})
    assert fill_price(100.0, True, none) == 100.0
    vs = CFG.model_copy(update={"slippage": CFG.slippage.model_copy(update={"model": "vol_scaled"})})
    assert fill_price(100.0, True, vs, vol_pct=2.0) == pytest.approx(100.15)  # 0.05% + 2% x 0.05
    assert size_for(3.0, 100.0, CFG) == 10 and size_for(4.0, 0.0, CFG) == 0
