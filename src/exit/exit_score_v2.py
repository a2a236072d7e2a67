"""The v2 exit score (contract 4.18): how much the reasons for holding a position have decayed.

Each named component is a deterioration in [0, 1] measured between the snapshot taken at
entry and the snapshot now, oriented by the position's side; a component whose inputs are
missing is None (listed in `missing`) and adds nothing, so thin data never causes an exit.
The score is the weighted sum of the known components plus the weights of the raised thesis
flags, clamped to [0, 1]. Pure: plain mappings in, an `ExitScore` out, never raises on data.

Snapshot keys (all optional): v2_score, direction, regime, regime_confidence, sector,
sector_multiplier, vol_pct, flow_net_premium, darkpool_notional, sentiment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from src.exit.models import EXIT_COMPONENTS, ExitScore, ExitScoreConfig

SNAPSHOT_KEYS: tuple[str, ...] = (
    "v2_score",
    "direction",
    "regime",
    "regime_confidence",
    "sector",
    "sector_multiplier",
    "vol_pct",
    "flow_net_premium",
    "darkpool_notional",
    "sentiment",
)

_SENTIMENT_WORDS = {"bullish": 1.0, "bull": 1.0, "bearish": -1.0, "bear": -1.0, "neutral": 0.0, "mixed": 0.0}


def num(value: Any) -> float | None:
    """A finite float, or None for anything else (bools, strings, NaN, inf)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def side_sign(side: Any) -> float:
    return -1.0 if str(side).lower() == "short" else 1.0


def sentiment_value(value: Any) -> float | None:
    """Sentiment as a number in [-1, 1]: words (BULLISH/BEARISH/NEUTRAL) or a number."""
    if isinstance(value, str) and value.strip().lower() in _SENTIMENT_WORDS:
        return _SENTIMENT_WORDS[value.strip().lower()]
    f = num(value)
    return None if f is None else _clamp(f, -1.0, 1.0)


def _clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return max(lo, min(hi, x))


def relative_drop(entry: float | None, now: float | None, floor: float) -> float | None:
    """How far `now` fell below `entry`, as a fraction of max(|entry|, floor), clamped to [0, 1]."""
    if entry is None or now is None:
        return None
    return _clamp((entry - now) / max(abs(entry), floor))


def _regime_bias(regime: str | None, cfg: ExitScoreConfig) -> float:
    r = (regime or "").lower()
    if r in {x.lower() for x in cfg.bullish_regimes}:
        return 1.0
    if r in {x.lower() for x in cfg.bearish_regimes}:
        return -1.0
    return 0.0


def regime_shift(side: str, entry_regime: Any, now_regime: Any, confidence: Any, cfg: ExitScoreConfig) -> float | None:
    """0 when unchanged; 1 x confidence when the new regime works against the side."""
    if not entry_regime or not now_regime:
        return None
    a, b = str(entry_regime).lower(), str(now_regime).lower()
    if a == b:
        return 0.0
    conf = num(confidence)
    conf = 1.0 if conf is None else _clamp(conf)
    oriented = _regime_bias(b, cfg) * side_sign(side)
    if oriented < 0:
        return round(conf, 6)
    if oriented > 0:
        return 0.0
    return round(cfg.regime_change_neutral * conf, 6)


def compute_components(
    side: str, entry: Mapping[str, Any], now: Mapping[str, Any], cfg: ExitScoreConfig
) -> dict[str, float | None]:
    sign = side_sign(side)
    out: dict[str, float | None] = dict.fromkeys(EXIT_COMPONENTS)

    v0, v1 = num(entry.get("vol_pct")), num(now.get("vol_pct"))
    if v0 is not None and v1 is not None and v0 > 0:
        out["vol_expansion"] = _clamp((v1 / v0 - 1.0) / (cfg.vol_expansion_full_ratio - 1.0))

    out["regime_shift"] = regime_shift(side, entry.get("regime"), now.get("regime"), now.get("regime_confidence"), cfg)

    m0, m1 = num(entry.get("sector_multiplier")), num(now.get("sector_multiplier"))
    if m0 is not None and m1 is not None and m0 > 0:
        out["sector_shift"] = _clamp((m0 - m1) / m0 / cfg.sector_shift_full_drop)

    f0, f1 = num(entry.get("flow_net_premium")), num(now.get("flow_net_premium"))
    out["flow_deterioration"] = relative_drop(
        None if f0 is None else f0 * sign, None if f1 is None else f1 * sign, cfg.flow_floor_usd
    )

    out["darkpool_deterioration"] = relative_drop(
        num(entry.get("darkpool_notional")), num(now.get("darkpool_notional")), cfg.darkpool_floor_usd
    )

    s0, s1 = sentiment_value(entry.get("sentiment")), sentiment_value(now.get("sentiment"))
    if s0 is not None and s1 is not None:
        out["sentiment_deterioration"] = _clamp((s0 * sign - s1 * sign) / 2.0)

    out["score_deterioration"] = relative_drop(num(entry.get("v2_score")), num(now.get("v2_score")), cfg.score_floor)
    return {k: (None if v is None else round(v, 6)) for k, v in out.items()}


def derive_thesis_flags(
    side: str, now: Mapping[str, Any], entry_threshold: float | None, extra: Mapping[str, Any] | None = None
) -> dict[str, bool]:
    """Flags that say the entry thesis no longer holds; caller flags (e.g. earnings) pass through."""
    flags: dict[str, bool] = {}
    direction = str(now.get("direction") or "").lower()
    if direction in ("long", "short"):
        flags["direction_flip"] = direction != str(side).lower()
    score = num(now.get("v2_score"))
    if score is not None and entry_threshold is not None:
        flags["below_entry_threshold"] = score < entry_threshold
    for k, v in (extra or {}).items():
        if isinstance(k, str) and isinstance(v, bool):
            flags[k] = v
    return flags


def compute_exit_score(
    side: str,
    entry: Mapping[str, Any] | None,
    now: Mapping[str, Any] | None,
    cfg: ExitScoreConfig,
    *,
    entry_threshold: float | None = None,
    thesis_flags: Mapping[str, Any] | None = None,
) -> ExitScore:
    entry = entry if isinstance(entry, Mapping) else {}
    now = now if isinstance(now, Mapping) else {}
    components = compute_components(side, entry, now, cfg)
    flags = derive_thesis_flags(side, now, entry_threshold, thesis_flags)
    total = 0.0
    reasons: list[str] = []
    for name, value in components.items():
        w = cfg.weights.get(name, 0.0)
        if value is not None and w > 0 and value > 0:
            total += w * value
            reasons.append(f"{name}={value:.3f}x{w:g}")
    for flag, raised in sorted(flags.items()):
        if raised:
            w = cfg.thesis_flag_weights.get(flag, cfg.default_thesis_flag_weight)
            total += w
            reasons.append(f"thesis:{flag}+{w:g}")
    missing = [k for k, v in components.items() if v is None]
    return ExitScore(
        score=round(_clamp(total), 6), components=components, thesis_flags=flags, missing=missing, reasons=reasons
    )
