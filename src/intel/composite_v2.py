"""Composite v2 (contract 4.13): v1's score shaped by UW intel, sector and regime, in shadow.

Reads UW intel only from state files, loaded once per cycle by `load_intel_inputs`;
`compute_composite_v2` is pure apart from the optional attribution append, never raises
and never opens a socket. A missing, corrupt or stale input contributes nothing and says so
in `v2_metadata.inputs`. Promotion is a manual change of COMPOSITE_VERSION (default v1);
no code here reads it to decide anything or ever changes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state
from src.intel.attribution import append_attribution, attribution_record
from src.intel.models import INTEL_SCHEMA_VERSION, IntelFile, SymbolIntel
from src.intel.regime_detector import REGIME_MAX_AGE_S, RegimeState, load_regime, regime_multiplier
from src.intel.sector_intel import SectorProfiles, load_sector_profiles, resolve_sector
from src.intel.values import age_seconds, clamp, iso, num, parse_ts
from src.uw.universe import UniverseFile

COMPOSITE_VERSION = "v2"
ALGORITHM_VERSION = "2.0.0"
SCORE_MIN, SCORE_MAX = 0.0, 8.0
MAX_AGE_S = {  # beyond these an input is `stale` and contributes nothing
    "premarket_intel": 18 * 3600.0,  # today's session only
    "postmarket_intel": 80 * 3600.0,  # last close, across a weekend
    "regime_state": REGIME_MAX_AGE_S,
    "universe": 26 * 3600.0,
}
WEIGHTS = {
    "flow": 0.40,
    "net_premium": 0.30,
    "dark_pool": 0.20,
    "greeks": 0.15,
    "earnings": 0.50,
    "market_tide": 0.30,
    "sector_tide": 0.25,
    "postmarket_flow": 0.20,
}


@dataclass
class InputInfo:
    path: str
    status: str  # ok | missing | corrupt | stale
    as_of: str | None = None
    age_s: float | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        d = {"path": self.path, "status": self.status, "as_of": self.as_of}
        if self.age_s is not None:
            d["age_s"] = round(self.age_s, 1)
        if self.error:
            d["error"] = self.error[:200]
        return d


@dataclass
class IntelInputs:
    premarket: IntelFile | None = None
    postmarket: IntelFile | None = None
    regime: RegimeState = field(default_factory=RegimeState)
    universe: UniverseFile | None = None
    profiles: SectorProfiles | None = None
    info: dict[str, InputInfo] = field(default_factory=dict)
    paths: Paths | None = None
    loaded_at: datetime | None = None

    def usable(self, name: str) -> bool:
        i = self.info.get(name)
        return bool(i and i.status == "ok")


def _load(path: Any, model: type, name: str, now: datetime, as_of_attr: str = "as_of") -> tuple[Any, InputInfo]:
    res = inspect_state(path, model)
    if res.status is not LoadStatus.ok or res.value is None:
        return None, InputInfo(str(path), res.status.value, error=res.error)
    stamp = getattr(res.value, as_of_attr, None)
    if name == "universe" and (res.value.model_extra or {}).get("generated_at_iso"):
        stamp = res.value.model_extra["generated_at_iso"]
    elif name == "universe":
        stamp = res.value.generated_at
    age = age_seconds(stamp, now)
    status = "stale" if age is None or age > MAX_AGE_S[name] else "ok"
    as_of = stamp if isinstance(stamp, str) or stamp is None else str(stamp)
    return (res.value if status == "ok" else None), InputInfo(str(path), status, as_of, age)


def load_intel_inputs(paths: Paths, now: datetime) -> IntelInputs:
    """Read every v2 input once (state files and config only; never the network, never healing)."""
    if not isinstance(now, datetime):  # tolerate an epoch or ISO text from a caller's clock
        now = parse_ts(now) or datetime.now(UTC)
    inputs = IntelInputs(paths=paths, loaded_at=now)
    try:
        inputs.premarket, inputs.info["premarket_intel"] = _load(
            paths.premarket_intel, IntelFile, "premarket_intel", now
        )
        inputs.postmarket, inputs.info["postmarket_intel"] = _load(
            paths.postmarket_intel, IntelFile, "postmarket_intel", now
        )
        uni_path = paths.daily_universe_v2
        inputs.universe, info = _load(uni_path, UniverseFile, "universe", now)
        if info.status != "ok":
            fallback, fb_info = _load(paths.daily_universe, UniverseFile, "universe", now)
            fb_info.error = f"daily_universe_v2 {info.status}; fell back to daily_universe"
            inputs.universe, info = fallback, fb_info if fb_info.status == "ok" else info
        inputs.info["universe"] = info
        regime = load_regime(paths, now)
        inputs.regime = regime
        flags = set(regime.flags)
        rstatus = (
            "missing"
            if "regime_state_missing" in flags
            else "corrupt"
            if "regime_state_corrupt" in flags
            else "stale"
            if "regime_state_stale" in flags
            else "ok"
        )
        inputs.info["regime_state"] = InputInfo(
            str(paths.regime_state), rstatus, regime.as_of, age_seconds(regime.as_of, now)
        )
        inputs.profiles = load_sector_profiles()
        inputs.info["sector_profiles"] = InputInfo(
            inputs.profiles.path, inputs.profiles.status, inputs.profiles.config.version, error=inputs.profiles.error
        )
    except Exception as exc:  # noqa: BLE001 - never raise into the shadow trader; it scores v1-only instead
        inputs.info.setdefault("load_error", InputInfo("", "corrupt", error=repr(exc)))
    return inputs


def _v1_fields(v1: Any) -> tuple[float, str, dict[str, float]]:
    get = v1.get if isinstance(v1, Mapping) else (lambda k, d=None: getattr(v1, k, d))
    score = num(get("score", 0.0)) or 0.0
    direction = str(get("direction", "none") or "none").lower()
    comps = get("components", {}) or {}
    return (
        score,
        direction if direction in ("long", "short") else "none",
        {str(k): float(v) for k, v in dict(comps).items() if num(v) is not None},
    )


def _ratio(fam: dict[str, Any] | None, key: str) -> float | None:
    if not fam or fam.get("stale"):
        return None
    if key in fam:
        return num(fam.get(key))
    call, put = num(fam.get("call_premium")) or 0.0, num(fam.get("put_premium")) or 0.0
    return (call - put) / (call + put) if call + put > 0 else None


def raw_adjustments(
    pre: SymbolIntel | None,
    post: SymbolIntel | None,
    market: dict[str, Any] | None,
    sector_tide: dict[str, Any] | None,
    d: int,
) -> dict[str, float]:
    """Pure: the un-multiplied UW adjustments (score points) for direction sign d in {-1, 0, 1}."""
    adj: dict[str, float] = {}
    if d == 0:
        return adj
    if pre is not None:
        r = _ratio(pre.flow, "net_ratio")
        if r is not None:
            adj["flow"] = WEIGHTS["flow"] * clamp(r, -1, 1) * d
        r = _ratio(pre.net_premium, "net_ratio")
        if r is not None:
            adj["net_premium"] = WEIGHTS["net_premium"] * clamp(r, -1, 1) * d
        dp = pre.dark_pool or {}
        notional = num(dp.get("total_notional"))
        if notional and notional > 0:
            adj["dark_pool"] = WEIGHTS["dark_pool"] * clamp((math.log10(notional) - 6.0) / 3.0, 0.0, 1.0)
        ge = pre.greek_exposure or {}
        if ge.get("gamma_regime") in ("positive", "negative"):
            # negative dealer gamma amplifies moves (good for a directional entry), positive pins price
            adj["greeks"] = WEIGHTS["greeks"] * (1.0 if ge["gamma_regime"] == "negative" else -0.67)
        days = num((pre.earnings or {}).get("days_to_earnings"))
        if days is not None and 0 <= days <= 5:
            adj["earnings"] = -WEIGHTS["earnings"] * (1.0 if days <= 2 else 0.4)
    if market:
        r = num(market.get("tide_ratio"))
        if r is not None and not market.get("stale"):
            adj["market_tide"] = WEIGHTS["market_tide"] * clamp(r, -1, 1) * d
    if sector_tide:
        r = num(sector_tide.get("tide_ratio"))
        if r is not None and not sector_tide.get("stale"):
            adj["sector_tide"] = WEIGHTS["sector_tide"] * clamp(r, -1, 1) * d
    if post is not None:
        r = _ratio(post.flow, "net_ratio")
        if r is not None:
            adj["postmarket_flow"] = WEIGHTS["postmarket_flow"] * clamp(r, -1, 1) * d
    return adj


def _sector_key(name: str) -> str:
    return "flow" if name == "postmarket_flow" else name


def _compute(symbol: str, v1: Any, inputs: IntelInputs) -> dict[str, Any]:
    sym = str(symbol or "").strip().upper()
    v1_score, direction, comps = _v1_fields(v1)
    d = 1 if direction == "long" else -1 if direction == "short" else 0
    pre = inputs.premarket.symbols.get(sym) if inputs.premarket else None
    entry = next((e for e in inputs.universe.symbols if e.symbol == sym), None) if inputs.universe else None
    hint = (pre.sector if pre else None) or ((entry.model_extra or {}).get("sector") if entry else None)
    sector = resolve_sector(sym, inputs.profiles, hint=hint)
    regime = inputs.regime if inputs.usable("regime_state") else RegimeState(flags=["regime_unusable"])
    post = inputs.postmarket.symbols.get(sym) if inputs.postmarket else None
    market = inputs.premarket.market if inputs.premarket else (inputs.postmarket.market if inputs.postmarket else None)
    tide = market.market_tide if market else None
    sector_tide = market.sector_tide.get(sector.name) if market else None
    raw = raw_adjustments(pre, post, tide, sector_tide, d)
    uw_mult = sector.multipliers["uw"]
    reg_mult = regime_multiplier(regime.regime, direction)
    adjustments = {k: round(v * sector.multipliers[_sector_key(k)] * uw_mult * reg_mult, 6) for k, v in raw.items()}
    total = sum(adjustments.values())
    score = round(clamp(v1_score + total, SCORE_MIN, SCORE_MAX), 6)
    flags: list[str] = []
    if inputs.premarket and pre is None:
        flags.append("symbol_not_in_premarket_intel")
    flags += [f"{n}_{i.status}" for n, i in inputs.info.items() if i.status != "ok"]
    flags += [f for f in regime.flags if f.startswith("regime_")]
    rank = entry.rank if entry else None
    return {
        "symbol": sym,
        "score": score,
        "direction": direction,
        "components": comps,
        "uw_adjustments": adjustments,
        "multipliers": {
            "sector": uw_mult,
            "regime": reg_mult,
            "sector_components": {_sector_key(k): sector.multipliers[_sector_key(k)] for k in raw},
        },
        "v2_metadata": {
            "composite_version": COMPOSITE_VERSION,
            "v1_score": v1_score,
            "uw_total": round(total, 6),
            "raw_adjustments": {k: round(v, 6) for k, v in raw.items()},
            "inputs": {n: i.as_dict() for n, i in inputs.info.items()},
            "versions": {
                "composite": COMPOSITE_VERSION,
                "algorithm": ALGORITHM_VERSION,
                "intel_schema": INTEL_SCHEMA_VERSION,
                "sector_profiles": inputs.profiles.config.version if inputs.profiles else None,
            },
            "sector": sector.name,
            "regime": regime.regime,
            "regime_confidence": regime.confidence,
            "universe_v2_rank": rank,
            "flags": flags,
        },
    }


def compute_composite_v2(
    symbol: str, v1: Any, inputs: IntelInputs, *, attribute: bool = True, paths: Paths | None = None
) -> dict[str, Any]:
    """The v2 output dict for one symbol; never raises. attribute=False lets the caller batch
    `attribution_record` + `append_attribution` itself."""
    try:
        result = _compute(symbol, v1, inputs)
    except Exception as exc:  # noqa: BLE001 - v2 degrades to a v1 passthrough, flagged
        try:
            v1_score, direction, comps = _v1_fields(v1)
        except Exception:  # noqa: BLE001
            v1_score, direction, comps = 0.0, "none", {}
        result = {
            "symbol": str(symbol),
            "score": v1_score,
            "direction": direction,
            "components": comps,
            "uw_adjustments": {},
            "multipliers": {"sector": 1.0, "regime": 1.0},
            "v2_metadata": {
                "composite_version": COMPOSITE_VERSION,
                "v1_score": v1_score,
                "inputs": {n: i.as_dict() for n, i in inputs.info.items()},
                "versions": {"composite": COMPOSITE_VERSION, "algorithm": ALGORITHM_VERSION},
                "sector": "UNKNOWN",
                "regime": "neutral",
                "flags": ["composite_v2_error"],
                "error": repr(exc)[:300],
            },
        }
    target = paths or inputs.paths
    if attribute and target is not None:
        try:
            ts = iso(inputs.loaded_at) if inputs.loaded_at else None  # the scoring clock, so sim days line up
            append_attribution(target, [attribution_record(result, result["v2_metadata"].get("v1_score", 0.0), ts)])
        except Exception:  # noqa: BLE001 - append_attribution already evented; scoring goes on
            pass
    return result
