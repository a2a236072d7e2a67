"""Exit score, targets, stops and replacement on worked fixtures and with every input missing."""

from __future__ import annotations

import json

import pytest

from src.core.errors import ConfigError
from src.exit.exit_score_v2 import compute_exit_score
from src.exit.models import EXIT_COMPONENTS, ExitV2Config, load_exit_config
from src.exit.profit_targets_v2 import compute_profit_target, target_hit
from src.exit.replacement_logic_v2 import decide_replacement
from src.exit.stops_v2 import compute_stop, stop_hit

CFG = ExitV2Config()

ENTRY = {
    "v2_score": 4.0,
    "regime": "RISK_ON",
    "sector_multiplier": 1.2,
    "vol_pct": 2.0,
    "flow_net_premium": 1_000_000,
    "darkpool_notional": 5_000_000,
    "sentiment": "BULLISH",
}
NOW = {
    "v2_score": 3.0,
    "direction": "long",
    "regime": "risk_off",
    "regime_confidence": 0.8,
    "sector_multiplier": 0.9,
    "vol_pct": 3.0,
    "flow_net_premium": 250_000,
    "darkpool_notional": 4_000_000,
    "sentiment": "NEUTRAL",
}


def test_exit_score_long_worked_example() -> None:
    s = compute_exit_score("long", ENTRY, NOW, CFG.score, entry_threshold=2.7)
    # vol (3/2-1)/(2-1)=0.5; regime adverse x conf 0.8; sector (1.2-0.9)/1.2/0.5=0.5;
    # flow (1e6-2.5e5)/1e6=0.75; dark pool 1e6/5e6=0.2; sentiment (1-0)/2=0.5; score 1/4=0.25
    assert s.components == {
        "vol_expansion": 0.5,
        "regime_shift": 0.8,
        "sector_shift": 0.5,
        "flow_deterioration": 0.75,
        "darkpool_deterioration": 0.2,
        "sentiment_deterioration": 0.5,
        "score_deterioration": 0.25,
    }
    # 0.05 + 0.12 + 0.05 + 0.15 + 0.02 + 0.075 + 0.05
    assert s.score == pytest.approx(0.515)
    assert s.thesis_flags == {"direction_flip": False, "below_entry_threshold": False}
    assert s.missing == []


def test_exit_score_short_orientation_and_thesis_flags() -> None:
    entry = {"flow_net_premium": -800_000, "sentiment": "BEARISH", "regime": "neutral"}
    now = {"flow_net_premium": 200_000, "sentiment": "bullish", "regime": "risk_on", "direction": "long"}
    s = compute_exit_score("short", entry, now, CFG.score)
    assert s.components["flow_deterioration"] == 1.0  # 1e6 swing against an 8e5 short thesis, clamped
    assert s.components["sentiment_deterioration"] == 1.0
    assert s.components["regime_shift"] == 1.0  # bullish regime against a short, confidence unknown -> 1
    assert s.thesis_flags["direction_flip"] is True
    # 0.15 + 0.2 + 0.15 + direction_flip 0.3
    assert s.score == pytest.approx(0.8)
    assert set(s.missing) == {"vol_expansion", "sector_shift", "darkpool_deterioration", "score_deterioration"}


def test_exit_score_improvement_is_zero_not_negative() -> None:
    better = dict(ENTRY, v2_score=5.0, flow_net_premium=2_000_000, regime="RISK_ON", direction="long")
    s = compute_exit_score("long", ENTRY, better, CFG.score)
    assert s.components["score_deterioration"] == 0.0
    assert s.components["flow_deterioration"] == 0.0
    assert s.components["regime_shift"] == 0.0
    assert s.score == 0.0


@pytest.mark.parametrize(
    "entry,now",
    [(None, None), ({}, {}), ({"v2_score": "x", "vol_pct": float("nan")}, {"v2_score": None, "vol_pct": 0})],
)
def test_exit_score_every_input_missing(entry, now) -> None:
    s = compute_exit_score("long", entry, now, CFG.score)
    assert s.score == 0.0
    assert set(s.components) == set(EXIT_COMPONENTS)
    assert all(v is None for v in s.components.values())
    assert sorted(s.missing) == sorted(EXIT_COMPONENTS)


def test_targets_worked_and_fallback() -> None:
    t = compute_profit_target(100.0, "long", 2.0, "risk_on", CFG)  # 2 x 0.5 x 1.2 = 1.2%
    assert (t.source, t.target_pct, t.target_price) == ("dynamic", 1.2, 101.2)
    assert compute_profit_target(100.0, "short", 2.0, "RISK_ON", CFG).target_price == 98.8
    assert compute_profit_target(100.0, "long", 10.0, "risk_on", CFG).target_pct == 3.0  # clamped to max
    assert compute_profit_target(100.0, "long", None, "risk_off", CFG).target_pct == pytest.approx(0.6)  # 0.75 x 0.8
    static = compute_profit_target(100.0, "long", None, None, CFG)
    assert (static.source, static.target_pct, static.target_price) == ("static", 0.75, 100.75)
    none = compute_profit_target(None, "long", None, None, CFG)
    assert none.target_price is None and not target_hit(101, "long", none)
    assert target_hit(101.3, "long", t) and not target_hit(101.1, "long", t)


def test_stops_worked_and_fallback() -> None:
    s = compute_stop(100.0, "long", 2.0, "risk_off", CFG, water_mark=103.0)
    # stop 2 x 0.6 x 0.8 = 0.96%, trail 2 x 0.9 x 0.8 = 1.44% from 103
    assert (s.source, s.stop_pct, s.trail_pct) == ("dynamic", 0.96, 1.44)
    assert s.stop_price == pytest.approx(99.04)
    assert s.trail_price == pytest.approx(101.5168)
    assert s.effective_price == pytest.approx(101.5168)
    assert stop_hit(101.5, "long", s) == "trailing_stop"
    assert stop_hit(101.6, "long", s) is None
    static = compute_stop(100.0, "long", None, None, CFG)
    assert (static.source, static.stop_price, static.trail_price, static.effective_price) == (
        "static",
        99.0,
        98.5,
        99.0,
    )
    assert stop_hit(98.9, "long", static) == "stop_loss"
    short = compute_stop(50.0, "short", None, None, CFG, water_mark=48.0)
    assert short.stop_price == pytest.approx(50.5) and short.trail_price == pytest.approx(48.72)
    assert stop_hit(48.8, "short", short) == "trailing_stop"
    empty = compute_stop(None, "long", None, None, CFG)
    assert empty.effective_price is None and stop_hit(1.0, "long", empty) is None


def test_replacement_requires_threshold_and_margin() -> None:
    r = CFG.replacement  # threshold 0.5, margin 0.75, min hold 20
    cands = [{"symbol": "AAA", "v2_score": 3.5}, {"symbol": "BBB", "v2_score": 3.8}, {"symbol": "HELD", "v2_score": 9}]
    d = decide_replacement("XYZ", 0.6, 3.0, 30, cands, r, held_symbols=["HELD"])
    assert d.replace and d.candidate == "BBB"
    assert d.reasoning["score_delta"] == pytest.approx(0.8)
    thin = [{"symbol": "BBB", "v2_score": 3.7}]
    assert decide_replacement("XYZ", 0.6, 3.0, 30, thin, r).reasoning["why"] == "candidate_not_superior"
    assert decide_replacement("XYZ", 0.4, 3.0, 30, cands, r).reasoning["why"] == "exit_score_below_threshold"
    assert decide_replacement("XYZ", 0.6, 3.0, 10, cands, r).reasoning["why"] == "min_hold_not_reached"
    assert not decide_replacement("XYZ", 0.9, None, 30, cands, r).replace


def test_replacement_every_input_missing() -> None:
    d = decide_replacement("XYZ", None, None, None, [None, {}, {"symbol": "A"}], CFG.replacement)  # type: ignore[list-item]
    assert not d.replace and d.reasoning["why"] == "exit_score_unknown"


def test_config_file_is_validated(tmp_path) -> None:
    p = tmp_path / "exit_v2.json"
    p.write_text(json.dumps({"score": {"weights": {"bogus": 1.0}}}))
    with pytest.raises(ConfigError, match="bogus"):
        load_exit_config(p)
    p.write_text(json.dumps({"targets": {"min_pct": 5, "max_pct": 1}}))
    with pytest.raises(ConfigError, match="min_pct"):
        load_exit_config(p)
    assert load_exit_config(tmp_path / "absent.json") == ExitV2Config()


def test_repo_config_loads() -> None:
    assert isinstance(load_exit_config(), ExitV2Config)
