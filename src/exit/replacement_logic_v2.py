"""v2 replacement (contract 4.18): swap a held position for a better candidate.

Replacement requires BOTH conditions: the position's exit score is at or above the threshold
(its thesis has decayed) AND the best eligible candidate's v2 score beats the position's
current v2 score by at least the margin. A position younger than the minimum hold is kept,
so one noisy cycle cannot churn the book. The reasoning blob records every number used,
for the exit attribution line (contract 4.20.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from src.exit.exit_score_v2 import num
from src.exit.models import ReplacementConfig, ReplacementDecision


def decide_replacement(
    symbol: str,
    exit_score: Any,
    position_score: Any,
    held_minutes: Any,
    candidates: Iterable[Mapping[str, Any]],
    cfg: ReplacementConfig,
    *,
    held_symbols: Iterable[str] = (),
) -> ReplacementDecision:
    """`candidates`: mappings with `symbol` and `v2_score` (and optionally `direction`)."""
    es = num(exit_score)
    ps = num(position_score)
    held = num(held_minutes)
    excluded = {str(s).upper() for s in held_symbols} | {str(symbol).upper()}
    best_sym, best_score = None, None
    for c in candidates:
        if not isinstance(c, Mapping):
            continue
        sym = str(c.get("symbol") or "").upper()
        sc = num(c.get("v2_score"))
        if not sym or sym in excluded or sc is None:
            continue
        if str(c.get("direction") or "long").lower() not in ("long", "short"):
            continue
        if best_score is None or sc > best_score or (sc == best_score and sym < (best_sym or "")):
            best_sym, best_score = sym, sc
    reasoning: dict[str, Any] = {
        "exit_score": es,
        "exit_score_threshold": cfg.exit_score_threshold,
        "position_symbol": str(symbol).upper(),
        "position_v2_score": ps,
        "candidate_symbol": best_sym,
        "candidate_v2_score": best_score,
        "score_margin": cfg.score_margin,
        "score_delta": None if best_score is None or ps is None else round(best_score - ps, 6),
        "held_minutes": held,
        "min_hold_minutes": cfg.min_hold_minutes,
    }
    if es is None or es < cfg.exit_score_threshold:
        return _no(reasoning, "exit_score_below_threshold" if es is not None else "exit_score_unknown")
    if held is not None and held < cfg.min_hold_minutes:
        return _no(reasoning, "min_hold_not_reached")
    if best_sym is None or best_score is None:
        return _no(reasoning, "no_candidate")
    if ps is None:
        return _no(reasoning, "position_score_unknown")
    if best_score < ps + cfg.score_margin:
        return _no(reasoning, "candidate_not_superior")
    reasoning["decision"] = "replace"
    reasoning["why"] = (
        f"exit score {es:.3f} >= {cfg.exit_score_threshold:g} and {best_sym} v2 {best_score:.3f} beats "
        f"{str(symbol).upper()} v2 {ps:.3f} by {best_score - ps:.3f} >= margin {cfg.score_margin:g}"
    )
    return ReplacementDecision(replace=True, candidate=best_sym, reasoning=reasoning)


def _no(reasoning: dict[str, Any], why: str) -> ReplacementDecision:
    reasoning["decision"] = "keep"
    reasoning["why"] = why
    return ReplacementDecision(replace=False, candidate=None, reasoning=reasoning)
