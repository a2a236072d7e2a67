"""Dynamic profit targets for v2 exits (contract 4.18): volatility and regime aware.

A target scales with the symbol's daily volatility (a quiet name gets a close target, a
wild one a wider target) and with the regime's target multiplier, clamped to a sane band.
Without volatility or regime it falls back to the original system's static +0.75%.
"""

from __future__ import annotations

from typing import Any

from src.exit.exit_score_v2 import num, side_sign
from src.exit.models import ExitV2Config, TargetResult


def target_price(entry_price: Any, side: str, pct: float) -> float | None:
    p = num(entry_price)
    if p is None or p <= 0:
        return None
    return round(p * (1.0 + side_sign(side) * pct / 100.0), 6)


def compute_profit_target(
    entry_price: Any, side: str, vol_pct: Any, regime: str | None, cfg: ExitV2Config
) -> TargetResult:
    """Target as a percent move from entry and as a price (None if the entry price is unusable)."""
    t = cfg.targets
    vol = num(vol_pct)
    vol = vol if vol is not None and vol > 0 else None
    adjust = cfg.regime_adjust(regime)
    if vol is None and adjust is None:
        pct = t.static_pct
        return TargetResult(
            target_pct=pct,
            target_price=target_price(entry_price, side, pct),
            source="static",
            inputs={"vol_pct": None, "regime": regime},
        )
    base = vol * t.vol_mult if vol is not None else t.static_pct
    mult = adjust.target_mult if adjust is not None else 1.0
    pct = round(max(t.min_pct, min(t.max_pct, base * mult)), 6)
    return TargetResult(
        target_pct=pct,
        target_price=target_price(entry_price, side, pct),
        source="dynamic",
        inputs={"vol_pct": vol, "regime": regime, "regime_target_mult": mult, "base_pct": round(base, 6)},
    )


def target_hit(price: Any, side: str, target: TargetResult) -> bool:
    p = num(price)
    if p is None or target.target_price is None:
        return False
    return p >= target.target_price if side_sign(side) > 0 else p <= target.target_price
