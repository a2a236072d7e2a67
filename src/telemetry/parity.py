"""Shadow vs live entry parity (4.20.7, 4.21): did v2 enter where, when and at what price v1 did?

Pairing: per symbol, each v1 entry (in time order) takes the nearest-in-time v2 shadow entry of
the same symbol not already taken, anywhere in the day. A pair is then classified by how close
it is; unpaired entries are `missing_in_v2` (v1 only) or `missing_in_v1` (v2 only).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from src.telemetry.families import OTHER, dominant_family
from src.telemetry.models import (
    PARITY_CLASSIFICATIONS,
    AggregateMetrics,
    EntryParity,
    EntryParityDetails,
    Overlap,
    ParityNotes,
    ParityRow,
    ShadowVsLiveParity,
)
from src.telemetry.perf import ratio, rnd
from src.telemetry.readers import Entry, iso

PERFECT_TS_S = 60.0
PERFECT_PRICE_PCT = 0.001
NEAR_TS_S = 900.0
NEAR_PRICE_PCT = 0.01
SUMMARY_ROWS = 500
CANDIDATE_ACTIONS = frozenset({"entry", "refused", "replacement", "candidate"})
_FIELDS = ("v1_entry_ts", "v2_entry_ts", "v1_score_at_entry", "v2_score_at_entry", "v1_price_at_entry",
           "v2_price_at_entry")


def classify(v1: Entry, v2: Entry) -> str:
    """perfect: <=60 s and <=0.1 % price; near: <=15 min and <=1 %; otherwise (or sides differ) divergent."""
    if v1.side != v2.side and "unknown" not in (v1.side, v2.side):
        return "divergent"
    dt = abs(v2.ts - v1.ts)
    rel = None
    if v1.price and v2.price is not None:
        rel = abs(v2.price - v1.price) / abs(v1.price)
    if dt <= PERFECT_TS_S and (rel is None or rel <= PERFECT_PRICE_PCT):
        return "perfect_match"
    if dt <= NEAR_TS_S and (rel is None or rel <= NEAR_PRICE_PCT):
        return "near_match"
    return "divergent"


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else rnd(b - a)


def make_row(symbol: str, v1: Entry | None, v2: Entry | None, classification: str) -> ParityRow:
    values = {
        "v1_entry_ts": iso(v1.ts) if v1 else None,
        "v2_entry_ts": iso(v2.ts) if v2 else None,
        "v1_score_at_entry": rnd(v1.score) if v1 else None,
        "v2_score_at_entry": rnd(v2.score) if v2 else None,
        "v1_price_at_entry": rnd(v1.price) if v1 else None,
        "v2_price_at_entry": rnd(v2.price) if v2 else None,
    }
    family = next((e.family or (dominant_family(e.components) if e.components else "")
                   for e in (v2, v1) if e is not None and (e.family or e.components)), "") or OTHER
    # constructed, not validated: every value above is already typed, and a busy day has many rows
    return ParityRow.model_construct(
        symbol=symbol,
        entry_ts_delta_seconds=_diff(v1.ts if v1 else None, v2.ts if v2 else None),
        score_delta=_diff(values["v1_score_at_entry"], values["v2_score_at_entry"]),
        price_delta_usd=_diff(values["v1_price_at_entry"], values["v2_price_at_entry"]),
        classification=classification,  # type: ignore[arg-type]
        missing_fields=[f for f in _FIELDS if values[f] is None],
        feature_family=family,
        **values,
    )


class _Free:
    """Nearest unused index on either side of a position, with path-compressed skips."""

    def __init__(self, n: int) -> None:
        self.left = list(range(n + 1))  # left[i+1] -> largest free index <= i, as index+1 (0 = none)
        self.right = list(range(n + 1))  # right[i] -> smallest free index >= i (n = none)

    def _find(self, parent: list[int], i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def take(self, i: int) -> None:
        self.right[i] = i + 1
        self.left[i + 1] = i

    def nearest_left(self, i: int) -> int:
        return self._find(self.left, i + 1) - 1

    def nearest_right(self, i: int) -> int:
        return self._find(self.right, i)


def pair_symbol(symbol: str, v1s: list[Entry], v2s: list[Entry]) -> list[ParityRow]:
    v1s = sorted(v1s, key=lambda e: (e.ts, e.side, e.price or 0.0))
    v2s = sorted(v2s, key=lambda e: (e.ts, e.side, e.price or 0.0))
    times = [e.ts for e in v2s]
    free = _Free(len(v2s))
    used = [False] * len(v2s)
    rows = []
    for a in v1s:
        p = bisect_left(times, a.ts)
        cands = [j for j in (free.nearest_left(p - 1) if p > 0 else -1, free.nearest_right(p)) if 0 <= j < len(v2s)]
        if not cands:
            rows.append(make_row(symbol, a, None, "missing_in_v2"))
            continue
        j = min(cands, key=lambda k: (abs(times[k] - a.ts), k))
        free.take(j)
        used[j] = True
        rows.append(make_row(symbol, a, v2s[j], classify(a, v2s[j])))
    rows.extend(make_row(symbol, None, b, "missing_in_v1") for j, b in enumerate(v2s) if not used[j])
    return rows


def _mean(values: list[float]) -> float | None:
    return rnd(sum(values) / len(values)) if values else None


def _by_symbol(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for e in entries:
        out.setdefault(e.symbol, []).append(e)
    return out


def build_parity(
    day: str,
    v1_entries: list[Entry],
    v2_decisions: list[Entry],
    *,
    v1_available: bool,
    unavailable_reason: str = "",
) -> tuple[ShadowVsLiveParity, EntryParityDetails]:
    v2_entries = [e for e in v2_decisions if e.action == "entry"]
    v2_entry_syms = {e.symbol for e in v2_entries}
    v2_cand_syms = {e.symbol for e in v2_decisions if e.action in CANDIDATE_ACTIONS}
    v2_all = v2_entry_syms | v2_cand_syms
    rows: list[ParityRow] = []
    v1_syms: set[str] = set()
    if v1_available:
        v1_map, v2_map = _by_symbol(v1_entries), _by_symbol(v2_entries)
        v1_syms = set(v1_map)
        for sym in sorted(set(v1_map) | set(v2_map)):
            rows.extend(pair_symbol(sym, v1_map.get(sym, []), v2_map.get(sym, [])))
        rows.sort(key=lambda r: (r.symbol, r.v1_entry_ts or r.v2_entry_ts or "", r.v2_entry_ts or "", r.classification))
    counts = {c: 0 for c in PARITY_CLASSIFICATIONS}
    for r in rows:
        counts[r.classification] += 1
    paired = [r for r in rows if r.v1_entry_ts and r.v2_entry_ts]
    union = v1_syms | v2_all
    overlap = v1_syms & v2_all
    matched = counts["perfect_match"] + counts["near_match"]
    parity = ShadowVsLiveParity(
        day=day,
        overlap=Overlap(
            v1_symbols=sorted(v1_syms), v2_entry_symbols=sorted(v2_entry_syms), v2_candidate_symbols=sorted(v2_cand_syms),
            overlap_symbols=sorted(overlap), v1_only_symbols=sorted(v1_syms - v2_all),
            v2_only_symbols=sorted(v2_all - v1_syms) if v1_available else [], v1_count=len(v1_syms),
            v2_count=len(v2_all), overlap_count=len(overlap), jaccard=ratio(len(overlap), len(union)),
        ),
        entry_parity=EntryParity(
            allowed_classifications=list(PARITY_CLASSIFICATIONS),  # type: ignore[arg-type]
            rows=rows[:SUMMARY_ROWS], total_rows=len(rows), rows_truncated=len(rows) > SUMMARY_ROWS,
            classification_counts=counts,
        ),
        aggregate_metrics=AggregateMetrics(
            mean_entry_ts_delta_seconds=_mean([r.entry_ts_delta_seconds for r in paired if r.entry_ts_delta_seconds is not None]),
            mean_score_delta=_mean([r.score_delta for r in paired if r.score_delta is not None]),
            mean_price_delta_usd=_mean([r.price_delta_usd for r in paired if r.price_delta_usd is not None]),
            match_rate=ratio(matched, len(rows)),
            matched_pairs=len(paired),
            mean_abs_entry_ts_delta_seconds=_mean([abs(r.entry_ts_delta_seconds) for r in paired
                                                   if r.entry_ts_delta_seconds is not None]),
        ),
        notes=ParityNotes(
            parity_available=v1_available,
            reason=("parity computed from logs/attribution.jsonl (v1) and logs/shadow_trades.jsonl (v2)"
                    if v1_available else f"parity unavailable: {unavailable_reason or 'v1 logs missing'}"),
            thresholds={"perfect_ts_s": PERFECT_TS_S, "perfect_price_pct": PERFECT_PRICE_PCT,
                        "near_ts_s": NEAR_TS_S, "near_price_pct": NEAR_PRICE_PCT},
            definitions="deltas are v2 minus v1; match_rate = (perfect_match + near_match) / all rows; "
                        "matched_pairs = rows holding both a v1 and a v2 entry",
        ),
    )
    details = EntryParityDetails(day=day, parity_available=v1_available,
                                 allowed_classifications=list(PARITY_CLASSIFICATIONS),  # type: ignore[arg-type]
                                 rows=rows)
    return parity, details
