"""Universe scoring v2 (contract 4.12): shadow-only re-ranking of today's universe.

Reads risk features, the regime snapshot (if present) and sector profiles; writes
state/daily_universe_v2.json in the v1 universe file shape plus per-symbol components.
v1 never reads this file: only a manual promotion could change that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from src.core.paths import Paths
from src.core.state import inspect_state
from src.intel.models import SymbolRiskFeatures, SymbolRiskFeaturesFile
from src.intel.regime_detector import load_regime
from src.intel.sector_intel import SectorProfiles, load_sector_profiles, resolve_sector
from src.intel.values import clamp, iso
from src.uw.universe import UniverseEntry, UniverseFile

WEIGHTS = {"activity": 0.4, "liquidity": 0.3, "volatility_fit": 0.3}
CORE_ACTIVITY = 0.5  # core names have no screener rank: treat as mid activity


def volatility_fit(iv_rank: float | None, regime: str) -> float:
    """0..1. In a high-volatility tape prefer calmer names; otherwise names with some IV to move."""
    if iv_rank is None:
        return 0.5
    r = clamp(iv_rank, 0.0, 100.0)
    if regime == "high_volatility":
        return round(1.0 - r / 100.0, 4)
    return round(clamp(1.0 - abs(r - 60.0) / 60.0, 0.0, 1.0), 4)


def score_symbol_v2(
    features: SymbolRiskFeatures, activity: float, regime: str, profiles: SectorProfiles
) -> dict[str, Any]:
    """Pure: the v2 universe score of one symbol with its components."""
    liq = features.liquidity_score if features.liquidity_score is not None else 0.3
    vfit = volatility_fit(features.iv_rank.value, regime)
    comps = {"activity": round(clamp(activity, 0.0, 1.0), 4), "liquidity": round(liq, 4), "volatility_fit": vfit}
    base = sum(WEIGHTS[k] * v for k, v in comps.items())
    sector = resolve_sector(features.symbol, profiles, hint=features.sector)
    mult = sector.multipliers["uw"]
    return {"score": round(base * mult, 6), "components": comps, "sector": sector.name, "sector_multiplier": mult}


def build_universe_v2(paths: Paths, now: datetime, day: str, profiles: SectorProfiles | None = None) -> UniverseFile:
    profiles = profiles or load_sector_profiles()
    feats = inspect_state(paths.symbol_risk_features, SymbolRiskFeaturesFile).value or SymbolRiskFeaturesFile()
    daily = inspect_state(paths.daily_universe, UniverseFile).value
    core = inspect_state(paths.core_universe, UniverseFile).value
    regime = load_regime(paths, now)
    activity: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for e in core.symbols if core else []:
        activity[e.symbol] = CORE_ACTIVITY
        reasons[e.symbol] = "core"
    for e in daily.symbols if daily else []:
        activity[e.symbol] = max(activity.get(e.symbol, 0.0), float(e.score or 0.0))
        reasons[e.symbol] = f"daily rank {e.rank}" + (" + core" if reasons.get(e.symbol) == "core" else "")
    scored = []
    for sym, act in activity.items():
        f = feats.symbols.get(sym) or SymbolRiskFeatures(symbol=sym)
        s = score_symbol_v2(f, act, regime.regime, profiles)
        scored.append((s["score"], sym, s))
    scored.sort(key=lambda x: (-x[0], x[1]))
    entries = [
        UniverseEntry(
            symbol=sym,
            rank=i + 1,
            score=score,
            reason=f"v2: {reasons.get(sym, '')}; activity {s['components']['activity']}, "
            f"liquidity {s['components']['liquidity']}, vol fit {s['components']['volatility_fit']}, "
            f"sector {s['sector']} x{s['sector_multiplier']}",
            components=s["components"],
            sector=s["sector"],
            sector_multiplier=s["sector_multiplier"],
        )
        for i, (score, sym, s) in enumerate(scored)
    ]
    return UniverseFile(
        as_of=day,
        generated_at=now.timestamp(),
        generated_at_iso=iso(now),
        symbols=entries,
        shadow_only=True,
        version="v2",
        regime=regime.regime,
        regime_flags=regime.flags,
        inputs={"symbol_risk_features": feats.as_of, "regime_state": regime.as_of, "sector_profiles": profiles.status},
    )
