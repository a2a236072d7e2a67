"""Contract 4.12 (universe scoring v2, shadow-only): inputs state/symbol_risk_features.json,
state/regime_state.json (if present), config/sector_profiles.json (optional); output
state/daily_universe_v2.json; v1 outputs (daily_universe.json, core_universe.json) unchanged."""

from __future__ import annotations

from src.core.state import inspect_state, save_state
from src.intel.models import FieldValue, RegimeStateFile, SymbolRiskFeatures, SymbolRiskFeaturesFile
from src.intel.universe_v2 import build_universe_v2
from src.uw.universe import UniverseEntry, UniverseFile
from tests.contract.intel_support import PREMARKET, SIM_DAY


def _setup(home) -> None:
    save_state(
        home.core_universe,
        UniverseFile(
            as_of=SIM_DAY,
            generated_at=PREMARKET.timestamp(),
            symbols=[UniverseEntry(symbol="SPY", rank=1, reason="core", score=1.0)],
        ),
    )
    save_state(
        home.daily_universe,
        UniverseFile(
            as_of=SIM_DAY,
            generated_at=PREMARKET.timestamp(),
            symbols=[
                UniverseEntry(symbol="CALM", rank=1, reason="r", score=1.0),
                UniverseEntry(symbol="WILD", rank=2, reason="r", score=1.0),
            ],
        ),
    )
    feats = SymbolRiskFeaturesFile(
        as_of=PREMARKET.isoformat(),
        symbols={
            "CALM": SymbolRiskFeatures(symbol="CALM", iv_rank=FieldValue(value=10), liquidity_score=0.8),
            "WILD": SymbolRiskFeatures(symbol="WILD", iv_rank=FieldValue(value=60), liquidity_score=0.8),
        },
    )
    save_state(home.symbol_risk_features, feats)


def test_v2_written_from_features_and_v1_files_untouched(home) -> None:
    _setup(home)
    before = (home.daily_universe.read_bytes(), home.core_universe.read_bytes())
    v2 = build_universe_v2(home, PREMARKET, SIM_DAY)
    save_state(home.daily_universe_v2, v2)
    assert (home.daily_universe.read_bytes(), home.core_universe.read_bytes()) == before
    got = inspect_state(home.daily_universe_v2, UniverseFile).value
    assert got is not None and (got.model_extra or {}).get("shadow_only") is True
    assert {e.symbol for e in got.symbols} == {"SPY", "CALM", "WILD"}
    assert [e.rank for e in got.symbols] == [1, 2, 3]
    assert all("components" in (e.model_extra or {}) for e in got.symbols)
    # normal tape: some implied vol to move is preferred
    assert [e.symbol for e in got.symbols][:1] == ["WILD"]


def test_regime_changes_the_v2_ranking(home) -> None:
    _setup(home)
    save_state(
        home.regime_state, RegimeStateFile(regime="high_volatility", confidence=0.8, as_of=PREMARKET.isoformat())
    )
    v2 = build_universe_v2(home, PREMARKET, SIM_DAY)
    assert [e.symbol for e in v2.symbols][0] == "CALM"  # high-vol tape: calmer names first
    assert (v2.model_extra or {}).get("regime") == "high_volatility"


def test_missing_features_still_ranks_universe(home) -> None:
    _setup(home)
    home.symbol_risk_features.unlink()
    v2 = build_universe_v2(home, PREMARKET, SIM_DAY)
    assert {e.symbol for e in v2.symbols} == {"SPY", "CALM", "WILD"}
