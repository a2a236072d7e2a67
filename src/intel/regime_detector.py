"""Market regime for v2 (contract 4.11): risk_on, risk_off, high_volatility, trend, chop, neutral.

Computed from state files only (the daemon's market tide in data/uw_flow_cache.json, the
premarket intel, the symbol risk features), never from the network. Safe by default: with
no usable input the regime is `neutral` with confidence 0 and a flag saying why, and
`neutral` multiplies everything by exactly 1.0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from src.core.events import emit
from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state, save_state
from src.intel.models import IntelFile, RegimeStateFile, SymbolRiskFeaturesFile
from src.intel.summaries import summarize_tide
from src.intel.values import age_seconds, iso, job_now, parse_ts

REGIMES = ("risk_on", "risk_off", "high_volatility", "trend", "chop", "neutral")
TIDE_BIAS = 0.15  # |net / gross| tide ratio that counts as directional
HIGH_IV = 0.45  # median implied vol (annualized) that counts as a high-volatility tape
HIGH_IV_RANK = 70.0
REGIME_MAX_AGE_S = 26 * 3600.0

# per regime: (long multiplier, short multiplier) applied to v2 UW adjustments
REGIME_MULTIPLIERS: dict[str, tuple[float, float]] = {
    "risk_on": (1.10, 0.85),
    "risk_off": (0.85, 1.10),
    "high_volatility": (0.80, 0.80),
    "trend": (1.05, 1.05),
    "chop": (0.90, 0.90),
    "neutral": (1.0, 1.0),
}


@dataclass
class RegimeState:
    regime: str = "neutral"
    confidence: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    as_of: str | None = None
    flags: list[str] = field(default_factory=list)


def regime_multiplier(regime: str, direction: str) -> float:
    long_m, short_m = REGIME_MULTIPLIERS.get(regime, (1.0, 1.0))
    return short_m if direction == "short" else long_m if direction == "long" else min(long_m, short_m)


def detect_regime(
    tide: dict[str, Any] | None = None, vol: dict[str, Any] | None = None, as_of: str | None = None
) -> RegimeState:
    """Pure: a regime from a tide summary (see summarize_tide) and universe volatility stats.

    Precedence is by risk: high volatility beats direction, direction beats trend/chop, so the
    label that should make v2 most careful wins; the others stay visible as flags.
    """
    evidence: dict[str, Any] = {}
    flags: list[str] = []
    labels: list[tuple[str, float]] = []
    if tide and tide.get("intervals"):
        ratio = float(tide.get("tide_ratio") or 0.0)
        persistence = tide.get("persistence")
        flips = int(tide.get("sign_flips") or 0)
        evidence["tide"] = {
            k: tide.get(k)
            for k in ("tide_ratio", "net_premium", "persistence", "sign_flips", "intervals", "as_of", "source")
        }
        if ratio >= TIDE_BIAS:
            labels.append(("risk_on", min(1.0, 0.5 + abs(ratio))))
        elif ratio <= -TIDE_BIAS:
            labels.append(("risk_off", min(1.0, 0.5 + abs(ratio))))
        if persistence is not None and persistence >= 0.8 and abs(ratio) >= TIDE_BIAS / 2:
            labels.append(("trend", min(1.0, float(persistence))))
        elif flips >= 3 and abs(ratio) < TIDE_BIAS:
            labels.append(("chop", min(1.0, 0.4 + 0.1 * flips)))
    else:
        flags.append("no_tide_input")
    if vol and (vol.get("median_iv") is not None or vol.get("median_iv_rank") is not None):
        evidence["volatility"] = dict(vol)
        iv, ivr = vol.get("median_iv"), vol.get("median_iv_rank")
        if (iv is not None and iv >= HIGH_IV) or (ivr is not None and ivr >= HIGH_IV_RANK):
            strength = max((iv or 0) / HIGH_IV, (ivr or 0) / HIGH_IV_RANK)
            labels.append(("high_volatility", min(1.0, 0.5 * strength)))
    else:
        flags.append("no_volatility_input")
    if not evidence:
        return RegimeState("neutral", 0.0, {}, as_of, ["no_inputs", *flags])
    order = {"high_volatility": 0, "risk_off": 1, "risk_on": 2, "trend": 3, "chop": 4}
    labels.sort(key=lambda lc: order[lc[0]])
    if not labels:
        n = len(evidence)
        return RegimeState("neutral", round(0.3 * n, 3), evidence, as_of, flags)
    regime, conf = labels[0]
    flags.extend(f"also_{name}" for name, _ in labels[1:])
    if len(evidence) < 2:
        conf *= 0.75  # one input family only
    return RegimeState(regime, round(conf, 3), evidence, as_of, flags)


def _market_tide_from_cache(paths: Paths, now: datetime) -> dict[str, Any] | None:
    from src.uw.flow_cache import FlowCache

    res = inspect_state(paths.uw_flow_cache, FlowCache)
    if res.status is not LoadStatus.ok or res.value is None:
        return None
    for key in ("market_tide", "_market_tide", "market-tide"):
        item = res.value.market.get(key)
        if item is not None and item.data:
            fetched = parse_ts(item.last_update) or now
            s = summarize_tide(item.data, fetched)
            if s["intervals"]:
                s["source"] = f"{paths.uw_flow_cache.name}:market.{key}"
                s["age_s"] = age_seconds(s.get("as_of"), now)
                return s
    return None


def gather_inputs(paths: Paths, now: datetime) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, str]]:
    """Tide and volatility evidence from state files, preferring the fresher tide."""
    sources: dict[str, str] = {}
    tides: list[dict[str, Any]] = []
    cache_tide = _market_tide_from_cache(paths, now)
    sources["flow_cache"] = "ok" if cache_tide else "missing"
    if cache_tide:
        tides.append(cache_tide)
    pre = inspect_state(paths.premarket_intel, IntelFile)
    sources["premarket_intel"] = pre.status.value
    if pre.value is not None and pre.value.market.market_tide:
        t = dict(pre.value.market.market_tide)
        t["source"] = paths.premarket_intel.name
        tides.append(t)
    tides = [t for t in tides if (age_seconds(t.get("as_of"), now) or 0) <= REGIME_MAX_AGE_S and t.get("intervals")]
    tide = min(tides, key=lambda t: age_seconds(t.get("as_of"), now) or 0) if tides else None
    vol = None
    rf = inspect_state(paths.symbol_risk_features, SymbolRiskFeaturesFile)
    sources["symbol_risk_features"] = rf.status.value
    if rf.value is not None and rf.value.symbols:
        ivs = [f.implied_vol.value for f in rf.value.symbols.values() if f.implied_vol.value is not None]
        ranks = [f.iv_rank.value for f in rf.value.symbols.values() if f.iv_rank.value is not None]
        if ivs or ranks:
            vol = {
                "median_iv": round(median(ivs), 4) if ivs else None,
                "median_iv_rank": round(median(ranks), 2) if ranks else None,
                "symbols": len(rf.value.symbols),
                "as_of": rf.value.as_of,
            }
    return tide, vol, sources


def load_regime(paths: Paths, now: datetime | None = None) -> RegimeState:
    """The last detected regime; neutral and flagged when missing, corrupt or (given now) stale."""
    res = inspect_state(paths.regime_state, RegimeStateFile)
    if res.status is not LoadStatus.ok or res.value is None:
        return RegimeState("neutral", 0.0, {}, None, [f"regime_state_{res.status.value}"])
    v = res.value
    regime = v.regime if v.regime in REGIMES else "neutral"
    flags = list(v.flags) + ([] if regime == v.regime else ["unknown_regime_label"])
    if now is not None:
        age = age_seconds(v.as_of, now)
        if age is None or age > REGIME_MAX_AGE_S:
            return RegimeState("neutral", 0.0, v.evidence, v.as_of, flags + ["regime_state_stale"])
    return RegimeState(regime, float(v.confidence), v.evidence, v.as_of, flags)


def run_regime_detector(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: state/regime_state.json from state files only."""
    started = time.monotonic()
    try:
        paths.ensure()
        now = job_now(options)
        tide, vol, sources = gather_inputs(paths, now)
        state = detect_regime(tide, vol, as_of=iso(now))
        save_state(
            paths.regime_state,
            RegimeStateFile(
                regime=state.regime,
                confidence=state.confidence,
                evidence=state.evidence,
                flags=state.flags,
                as_of=state.as_of,
                generated_at=iso(now),
                inputs=sources,
            ),
        )
        if "no_inputs" in state.flags:
            emit("intel", "regime_no_inputs", "warning", paths=paths, day=day, sources=sources)
    except Exception as exc:  # noqa: BLE001 - job bodies report, never raise
        emit("intel", "regime_detector_failed", "error", paths=paths, day=day, error=repr(exc)[:500])
        return {"ok": False, "message": f"regime detector failed: {exc!r}"[:500], "artifacts": []}
    return {
        "ok": True,
        "message": f"regime {state.regime} (confidence {state.confidence})",
        "artifacts": [str(paths.regime_state)],
        "regime": state.regime,
        "elapsed_s": round(time.monotonic() - started, 3),
    }
