"""Displacement: at the position cap, swap the weakest eligible position for a stronger candidate.

Pure planning (and, for the blocked-trades log, why an offer was not planned). Each plan closes exactly one position and opens at most one candidate, so a
plan can never increase the number of positions (a hypothesis property). A position is
eligible only after the minimum hold time, so a fresh entry is not churned away.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.engine.config import StrategyV1Config


@dataclass(frozen=True)
class Held:
    symbol: str
    score: float  # the position's *current* score (0 when its symbol no longer scores)
    held_minutes: float


@dataclass(frozen=True)
class Offer:
    symbol: str
    score: float
    side: str


@dataclass(frozen=True)
class DisplacementPlan:
    close_symbol: str
    close_score: float
    open_symbol: str
    open_score: float
    open_side: str
    margin: float
    reasoning: str


def plan_displacements(
    held: list[Held], offers: list[Offer], cfg: StrategyV1Config, max_positions: int | None = None
) -> list[DisplacementPlan]:
    d = cfg.displacement
    cap = cfg.risk.max_positions if max_positions is None else max_positions
    if not d.enabled or d.max_per_cycle <= 0 or len(held) < cap:
        return []
    held_syms = {h.symbol for h in held}
    eligible = sorted((h for h in held if h.held_minutes >= d.min_hold_minutes), key=lambda h: (h.score, h.symbol))
    ranked = sorted((o for o in offers if o.symbol not in held_syms), key=lambda o: (-o.score, o.symbol))
    plans: list[DisplacementPlan] = []
    used: set[str] = set()
    for weakest, offer in zip(eligible, ranked, strict=False):
        if len(plans) >= d.max_per_cycle or offer.symbol in used:
            break
        margin = offer.score - weakest.score
        if margin < d.min_score_margin:
            break  # offers are descending and positions ascending: no later pair can qualify
        used.add(offer.symbol)
        plans.append(
            DisplacementPlan(
                close_symbol=weakest.symbol,
                close_score=weakest.score,
                open_symbol=offer.symbol,
                open_score=offer.score,
                open_side=offer.side,
                margin=round(margin, 6),
                reasoning=(
                    f"book full ({len(held)}/{cap}); {offer.symbol} score {offer.score:.3f} beats weakest "
                    f"{weakest.symbol} score {weakest.score:.3f} by {margin:.3f} >= {d.min_score_margin}; "
                    f"{weakest.symbol} held {weakest.held_minutes:.1f} min >= {d.min_hold_minutes}"
                ),
            )
        )
    return plans


@dataclass(frozen=True)
class Decline:
    why: str  # book_not_full | max_per_cycle | no_position_old_enough | margin_too_small | already_held
    detail: str
    numbers: dict[str, float | str | int]


def explain_declines(
    held: list[Held], offers: list[Offer], plans: list[DisplacementPlan], cfg: StrategyV1Config
) -> dict[str, Decline]:
    """Why each offer that `plan_displacements` did not plan was turned down (mirrors its pairing)."""
    d = cfg.displacement
    cap = cfg.risk.max_positions
    planned = {p.open_symbol for p in plans}
    held_syms = {h.symbol for h in held}
    eligible = sorted((h for h in held if h.held_minutes >= d.min_hold_minutes), key=lambda h: (h.score, h.symbol))
    ranked = sorted((o for o in offers if o.symbol not in held_syms), key=lambda o: (-o.score, o.symbol))
    out: dict[str, Decline] = {}
    if not d.enabled or d.max_per_cycle <= 0:
        return out  # no displacement at all: the cap refusal stands as the reason
    for o in offers:
        if o.symbol in held_syms:
            out[o.symbol] = Decline("already_held", "already held", {})
    for k, o in enumerate(ranked):
        if o.symbol in planned or o.symbol in out:
            continue
        if len(held) < cap:
            out[o.symbol] = Decline(
                "book_not_full",
                f"cap reached with pending entries, {len(held)}/{cap} held",
                {"held": len(held), "max_positions": cap},
            )
        elif k >= d.max_per_cycle:
            out[o.symbol] = Decline(
                "max_per_cycle",
                f"at most {d.max_per_cycle} displacements per cycle",
                {"max_per_cycle": d.max_per_cycle},
            )
        elif k >= len(eligible):
            old = max((h.held_minutes for h in held), default=0.0)
            out[o.symbol] = Decline(
                "no_position_old_enough",
                f"no free position held >= {d.min_hold_minutes} min (oldest {old:.1f} min)",
                {"min_hold_minutes": d.min_hold_minutes, "oldest_held_minutes": round(old, 2)},
            )
        else:
            w = next(iter(eligible[k : k + 1]))  # k < len(eligible) here; a slice keeps reads total
            margin = o.score - w.score
            out[o.symbol] = Decline(
                "margin_too_small",
                f"score {o.score:.3f} beats weakest {w.symbol} {w.score:.3f} by {margin:.3f} < {d.min_score_margin}"
                + (" (or an earlier pair fell short)" if margin >= d.min_score_margin else ""),
                {
                    "weakest_symbol": w.symbol,
                    "weakest_score": w.score,
                    "margin": round(margin, 6),
                    "min_score_margin": d.min_score_margin,
                },
            )
    return out
