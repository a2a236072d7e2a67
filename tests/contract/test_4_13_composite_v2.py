"""Contract 4.13 (Composite v2, shadow-only):
- v2 composite MUST read UW intel only from state files (no live UW calls in scoring);
- sector/regime multipliers MAY shape v2 UW adjustments, but MUST NOT affect v1;
- v2 metadata MUST be logged in the v2 output dict (inputs/versions).
Plus 4.6: v2 composite scoring reads UW intel from state files only."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

from src.core.jsonio import read_jsonl
from src.core.settings import Settings
from src.intel.composite_v2 import compute_composite_v2, load_intel_inputs
from tests.contract.intel_support import MIDDAY, PREMARKET, no_network, write_intel_state  # noqa: F401

V1 = {"score": 3.0, "direction": "long", "components": {"flow": 2.0, "dark_pool": 1.0}, "missing": [], "clusters": 2}
NAMES = ("premarket_intel", "postmarket_intel", "universe", "regime_state")


def _valid(out: dict) -> None:
    assert set(out) >= {"symbol", "score", "direction", "components", "uw_adjustments", "multipliers", "v2_metadata"}
    assert isinstance(out["score"], float) and 0.0 <= out["score"] <= 8.0
    assert set(out["multipliers"]) >= {"sector", "regime"}
    meta = out["v2_metadata"]
    assert meta["composite_version"] == "v2" and meta["versions"]["composite"] == "v2"
    assert "sector" in meta and "regime" in meta
    for name in NAMES:
        assert set(meta["inputs"][name]) >= {"path", "status", "as_of"}


def test_scoring_with_fresh_intel_uses_no_network_and_records_inputs(home, no_network) -> None:  # noqa: F811
    write_intel_state(home, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    v1 = copy.deepcopy(V1)
    out = compute_composite_v2("AAPL", v1, inputs)
    _valid(out)
    assert no_network == []
    assert v1 == V1  # v1's result is never modified
    meta = out["v2_metadata"]
    assert {meta["inputs"][n]["status"] for n in NAMES} == {"ok"}
    assert meta["inputs"]["premarket_intel"]["as_of"] == PREMARKET.isoformat()
    assert meta["sector"] == "TECHNOLOGY" and meta["regime"] == "risk_on"
    # bullish flow/tide for a long lifts the score; multipliers are the configured ones
    assert out["score"] > V1["score"] and out["uw_adjustments"]["flow"] > 0
    assert out["multipliers"]["regime"] > 1.0 and out["multipliers"]["sector"] == 1.1
    assert out["components"] == V1["components"]


def test_every_input_missing_gives_valid_neutral_output(home, no_network) -> None:  # noqa: F811
    out = compute_composite_v2("AAPL", V1, load_intel_inputs(home, MIDDAY))
    _valid(out)
    statuses = {n: out["v2_metadata"]["inputs"][n]["status"] for n in NAMES}
    assert statuses == dict.fromkeys(NAMES, "missing")
    assert out["uw_adjustments"] == {} and out["score"] == V1["score"]
    assert out["multipliers"]["regime"] == 1.0 and out["v2_metadata"]["regime"] == "neutral"
    assert "premarket_intel_missing" in out["v2_metadata"]["flags"]


def test_every_input_corrupt_gives_valid_output_and_leaves_files_alone(home, no_network) -> None:  # noqa: F811
    files = [
        home.premarket_intel,
        home.postmarket_intel,
        home.daily_universe_v2,
        home.daily_universe,
        home.regime_state,
    ]
    for p in files:
        p.write_text('{"truncated": ')
    out = compute_composite_v2("AAPL", V1, load_intel_inputs(home, MIDDAY))
    _valid(out)
    assert {out["v2_metadata"]["inputs"][n]["status"] for n in NAMES} == {"corrupt"}
    assert out["score"] == V1["score"]
    assert all(p.read_text() == '{"truncated": ' for p in files)  # the scorer owns none of them: no healing


def test_every_input_stale_contributes_nothing_and_says_so(home, no_network) -> None:  # noqa: F811
    write_intel_state(home, PREMARKET - timedelta(days=5))
    out = compute_composite_v2("AAPL", V1, load_intel_inputs(home, MIDDAY))
    _valid(out)
    assert {out["v2_metadata"]["inputs"][n]["status"] for n in NAMES} == {"stale"}
    assert out["uw_adjustments"] == {} and out["score"] == V1["score"]
    assert out["v2_metadata"]["regime"] == "neutral"


def test_short_direction_turns_bullish_intel_against_the_trade(home) -> None:
    write_intel_state(home, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    long_out = compute_composite_v2("AAPL", V1, inputs, attribute=False)
    short_out = compute_composite_v2("AAPL", dict(V1, direction="short"), inputs, attribute=False)
    assert short_out["score"] < V1["score"] < long_out["score"]


def test_attribution_is_optional_and_batched_by_caller(home) -> None:
    write_intel_state(home, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    compute_composite_v2("AAPL", V1, inputs, attribute=False)
    assert not home.uw_attribution_log.exists()
    compute_composite_v2("AAPL", V1, inputs)
    rows, _ = read_jsonl(home.uw_attribution_log)
    assert len(rows) == 1 and rows[0]["symbol"] == "AAPL" and rows[0]["ts"] == MIDDAY.isoformat(timespec="seconds")


def test_composite_version_defaults_to_v1_and_scoring_never_flips_it(home, monkeypatch) -> None:
    monkeypatch.delenv("COMPOSITE_VERSION", raising=False)
    assert Settings().composite_version == "v1"
    write_intel_state(home, PREMARKET)
    compute_composite_v2("AAPL", V1, load_intel_inputs(home, MIDDAY))
    assert Settings().composite_version == "v1"
    written = [json.loads(p.read_text()) for p in home.state.glob("*.json")]
    assert not any("composite_version" in w for w in written)
