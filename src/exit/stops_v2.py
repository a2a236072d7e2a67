"""Dynamic stops for v2 exits (contract 4.18): a hard stop and a trailing stop.

Both widen with the symbol's daily volatility and the regime's stop multiplier (so normal
noise in a volatile name does not stop it out) within a clamp band; without inputs they fall
back to the original system's static -1.0% stop and 1.5% trail from the high-water mark.
The effective stop is the tighter of the two (the higher for a long, the lower for a short).
"""

from __future__ import annotations

from typing import Any

from src.exit.exit_score_v2 import num, side_sign
from src.exit.models import ExitV2Config, StopResult


def _level(ref: float | None, side: str, pct: float) -> float | None:
    if ref is None or ref <= 0:
        return None
    return round(ref * (1.0 - side_sign(side) * pct / 100.0), 6)


def compute_stop(
    entry_price: Any,
    side: str,
    vol_pct: Any,
    regime: str | None,
    cfg: ExitV2Config,
    *,
    water_mark: Any = None,
) -> StopResult:
    """`water_mark` is the best price seen since entry (high for a long, low for a short)."""
    s = cfg.stops
    entry = num(entry_price)
    vol = num(vol_pct)
    vol = vol if vol is not None and vol > 0 else None
    adjust = cfg.regime_adjust(regime)
    if vol is None and adjust is None:
        stop_pct, trail_pct, source = s.static_pct, s.static_trail_pct, "static"
        inputs: dict[str, Any] = {"vol_pct": None, "regime": regime}
    else:
        mult = adjust.stop_mult if adjust is not None else 1.0
        base_stop = vol * s.vol_mult if vol is not None else s.static_pct
        base_trail = vol * s.trail_vol_mult if vol is not None else s.static_trail_pct
        stop_pct = round(max(s.min_pct, min(s.max_pct, base_stop * mult)), 6)
        trail_pct = round(max(s.min_pct, min(s.max_pct, base_trail * mult)), 6)
        source = "dynamic"
        inputs = {"vol_pct": vol, "regime": regime, "regime_stop_mult": mult}
    stop_price = _level(entry, side, stop_pct)
    wm = num(water_mark)
    if wm is None:
        wm = entry
    elif entry is not None:
        # the water mark can only be at least as favourable as the entry
        wm = max(wm, entry) if side_sign(side) > 0 else min(wm, entry)
    trail_price = _level(wm, side, trail_pct)
    levels = [x for x in (stop_price, trail_price) if x is not None]
    effective = None
    if levels:
        effective = max(levels) if side_sign(side) > 0 else min(levels)
    return StopResult(
        stop_pct=stop_pct,
        trail_pct=trail_pct,
        stop_price=stop_price,
        trail_price=trail_price,
        effective_price=effective,
        source=source,  # type: ignore[arg-type]
        inputs=inputs,
    )


def stop_hit(price: Any, side: str, stop: StopResult) -> str | None:
    """'stop_loss' or 'trailing_stop' when price crossed the effective stop, else None."""
    p = num(price)
    if p is None or stop.effective_price is None:
        return None
    crossed = p <= stop.effective_price if side_sign(side) > 0 else p >= stop.effective_price
    if not crossed:
        return None
    return (
        "trailing_stop"
        if stop.trail_price == stop.effective_price and stop.trail_price != stop.stop_price
        else "stop_loss"
    )
