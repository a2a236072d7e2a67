"""Contract 4.11 (sector & regime awareness): profiles in config/sector_profiles.json, resolver in
src/intel/sector_intel.py, unknown symbols -> sector UNKNOWN with multipliers 1.0; regime engine in
src/intel/regime_detector.py -> state/regime_state.json, safe-by-default, no live network calls."""

from __future__ import annotations

import time

from src.core.jsonio import atomic_write_json
from src.core.paths import REPO_ROOT
from src.core.state import inspect_state
from src.intel.models import RegimeStateFile
from src.intel.regime_detector import load_regime, run_regime_detector
from src.intel.sector_intel import UNKNOWN, load_sector_profiles, resolve_sector
from tests.contract.intel_support import MIDDAY, PREMARKET, SIM_DAY, no_network, write_intel_state  # noqa: F401


def test_profiles_live_at_contract_path_and_unknown_is_neutral() -> None:
    profiles = load_sector_profiles()
    assert profiles.path == str(REPO_ROOT / "config" / "sector_profiles.json") and profiles.status == "ok"
    assert resolve_sector("NVDA").name == "TECHNOLOGY"
    unknown = resolve_sector("QQQQZ")
    assert unknown.name == UNKNOWN and unknown.multipliers and set(unknown.multipliers.values()) == {1.0}
    assert resolve_sector("").name == UNKNOWN and resolve_sector(None).name == UNKNOWN  # type: ignore[arg-type]


def test_regime_with_no_inputs_is_neutral_flagged_and_offline(home, no_network, read_events) -> None:  # noqa: F811
    res = run_regime_detector(SIM_DAY, home, None, {"now": MIDDAY.isoformat()})
    assert res["ok"] and no_network == []
    state = inspect_state(home.regime_state, RegimeStateFile).value
    assert state.regime == "neutral" and state.confidence == 0.0 and "no_inputs" in state.flags
    assert read_events(home, "regime_no_inputs")


def test_regime_from_daemon_cache_market_tide(home, no_network) -> None:  # noqa: F811
    rows = [
        {
            "net_call_premium": str(1e6 * (i + 1)),
            "net_put_premium": "-2e5",
            "timestamp": f"2026-03-10T{14 + i // 12:02d}:{(i % 12) * 5:02d}:00+00:00",
        }
        for i in range(20)
    ]
    atomic_write_json(
        home.uw_flow_cache,
        {
            "_meta": {"written_at": time.time()},
            "market": {"market_tide": {"data": {"data": rows}, "last_update": MIDDAY.timestamp()}},
            "symbols": {},
        },
    )
    res = run_regime_detector(SIM_DAY, home, None, {"now": MIDDAY.isoformat()})
    assert res["ok"] and no_network == []
    state = inspect_state(home.regime_state, RegimeStateFile).value
    assert state.regime == "risk_on" and state.confidence > 0.5
    assert state.evidence["tide"]["source"].startswith("uw_flow_cache.json")
    assert state.inputs["flow_cache"] == "ok" and "also_trend" in state.flags


def test_load_regime_is_neutral_when_missing_corrupt_or_stale(home) -> None:
    assert load_regime(home).regime == "neutral" and "regime_state_missing" in load_regime(home).flags
    home.regime_state.write_text("[1, 2")
    assert load_regime(home).flags == ["regime_state_corrupt"]
    write_intel_state(home, PREMARKET)  # risk_on as of PREMARKET
    assert load_regime(home, MIDDAY).regime == "risk_on"
    assert "regime_state_stale" in load_regime(home, MIDDAY.replace(day=20)).flags
