"""Telemetry-only grouping of feature and signal names into families.

The grouping exists so a human can read "flow did well, dark pool did badly" without a
per-feature table; it never feeds back into scoring. First matching rule wins, so the more
specific substrings sit before the generic ones.
"""

from __future__ import annotations

from functools import lru_cache

FAMILY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("regime", ("regime",)),
    ("sector", ("sector",)),
    ("darkpool", ("darkpool", "dark_pool", "dark pool", "dp_")),
    ("gamma", ("gamma", "gex", "greek", "vanna", "charm", "max_pain")),
    ("volatility", ("iv_", "iv rank", "ivrank", "vol_", "volatility", "skew", "atr")),
    ("open_interest", ("oi_", "open_interest", "oi change")),
    ("shorts", ("ftd", "short_interest", "squeeze", "borrow", "interest_float")),
    ("market", ("tide", "market", "etf", "top_net", "spy", "index")),
    ("alt_data", ("insider", "congress", "institution")),
    ("toxicity", ("toxic",)),
    ("timing", ("fresh", "calendar", "earnings", "time_")),
    ("flow", ("flow", "sweep", "premium", "conviction", "whale", "option", "sentiment", "cluster")),
    ("score", ("score", "composite")),
)
OTHER = "other"


@lru_cache(maxsize=4096)
def family_of(name: str) -> str:
    low = name.lower()
    for family, needles in FAMILY_RULES:
        if any(n in low for n in needles):
            return family
    return OTHER


def rules_table() -> dict[str, list[str]]:
    return {family: list(needles) for family, needles in FAMILY_RULES}


def dominant_family(components: dict[str, float]) -> str:
    """Family carrying the largest absolute contribution; ties broken by family name."""
    totals: dict[str, float] = {}
    for name, value in components.items():
        fam = family_of(name)
        totals[fam] = totals.get(fam, 0.0) + abs(value)
    best, top = OTHER, -1.0
    for fam, total in totals.items():  # a plain loop: this runs once per entry decision of the day
        if total > top or (total == top and fam < best):
            best, top = fam, total
    return best
