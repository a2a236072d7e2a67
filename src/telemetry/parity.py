"""Shadow vs live entry parity (4.20.7, 4.21): did v2 enter where, when and at what price v1 did?

Pairing: per symbol, each v1 entry (in time order) takes the nearest-in-time v2 shadow entry of
the same symbol not already taken, anywhere in the day. A pair is then classified by how close
it is; unpaired entries are `missing_in_v2` (v1 only) or `missing_in_v1` (v2 only).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

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


def row_values(symbol: str, v1: Entry | None, v2: Entry | None, classification: str) -> dict[str, Any]:
    """One parity row as the plain dict its model dumps to: rows are streamed to disk as these, so a
    busy day never holds a model object per row."""
    v1_ts = iso(v1.ts) if v1 else None
    v2_ts = iso(v2.ts) if v2 else None
    v1_score = rnd(v1.score) if v1 else None
    v2_score = rnd(v2.score) if v2 else None
    v1_price = rnd(v1.price) if v1 else None
    v2_price = rnd(v2.price) if v2 else None
    family = ""
    for e in (v2, v1):  # a plain loop, not next(genexpr): this runs once per row of a busy day
        if e is not None and (e.family or e.components):
            family = e.family or (dominant_family(e.components) if e.components else "")
            break
    family = family or OTHER
    values = (v1_ts, v2_ts, v1_score, v2_score, v1_price, v2_price)
    return {
        "symbol": symbol,
        "v1_entry_ts": v1_ts,
        "v2_entry_ts": v2_ts,
        "entry_ts_delta_seconds": _diff(v1.ts if v1 else None, v2.ts if v2 else None),
        "v1_score_at_entry": v1_score,
        "v2_score_at_entry": v2_score,
        "score_delta": _diff(v1_score, v2_score),
        "v1_price_at_entry": v1_price,
        "v2_price_at_entry": v2_price,
        "price_delta_usd": _diff(v1_price, v2_price),
        "classification": classification,
        "missing_fields": [f for f, v in zip(_FIELDS, values, strict=True) if v is None] if None in values else [],
        "feature_family": family,
    }


def make_row(symbol: str, v1: Entry | None, v2: Entry | None, classification: str) -> ParityRow:
    # constructed, not validated: every value is already typed
    return ParityRow.model_construct(**row_values(symbol, v1, v2, classification))


def row_key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    """Final row order: symbol, then the ISO strings themselves (as the file has always been sorted)."""
    return (row["symbol"], row["v1_entry_ts"] or row["v2_entry_ts"] or "", row["v2_entry_ts"] or "",
            row["classification"])


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


def pairs(v1s: list[Entry], v2s: list[Entry]) -> Iterator[tuple[Entry | None, Entry | None, str]]:
    """(v1, v2, classification) for one symbol: pairs in v1 time order, then unpaired v2 entries."""
    v1s = sorted(v1s, key=lambda e: (e.ts, e.side, e.price or 0.0))
    v2s = sorted(v2s, key=lambda e: (e.ts, e.side, e.price or 0.0))
    times = [e.ts for e in v2s]
    free = _Free(len(v2s))
    used = [False] * len(v2s)
    for a in v1s:
        p = bisect_left(times, a.ts)
        cands = [j for j in (free.nearest_left(p - 1) if p > 0 else -1, free.nearest_right(p)) if 0 <= j < len(v2s)]
        if not cands:
            yield a, None, "missing_in_v2"
            continue
        j = min(cands, key=lambda k: (abs(times[k] - a.ts), k))
        free.take(j)
        used[j] = True
        yield a, v2s[j], classify(a, v2s[j])
    for j, b in enumerate(v2s):
        if not used[j]:
            yield None, b, "missing_in_v1"


def pair_symbol(symbol: str, v1s: list[Entry], v2s: list[Entry]) -> list[ParityRow]:
    return [make_row(symbol, a, b, c) for a, b, c in pairs(v1s, v2s)]


def _mean(values: Sequence[float]) -> float | None:
    return rnd(sum(values) / len(values)) if values else None


def _by_symbol(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for e in entries:
        out.setdefault(e.symbol, []).append(e)
    return out


class _RowStats:
    """Everything the summary artifact needs from the rows, folded in row order as they stream past."""

    def __init__(self) -> None:
        self.counts = {c: 0 for c in PARITY_CLASSIFICATIONS}
        self.total = 0
        self.head: list[dict[str, Any]] = []
        self.paired = 0
        self.ts_d, self.score_d, self.price_d = array("d"), array("d"), array("d")

    def add(self, row: dict[str, Any]) -> None:
        self.counts[row["classification"]] += 1
        self.total += 1
        if len(self.head) < SUMMARY_ROWS:
            self.head.append(row)
        if row["v1_entry_ts"] and row["v2_entry_ts"]:
            self.paired += 1
            for value, out in ((row["entry_ts_delta_seconds"], self.ts_d), (row["score_delta"], self.score_d),
                               (row["price_delta_usd"], self.price_d)):
                if value is not None:
                    out.append(value)


def build_parity(
    day: str,
    v1_entries: list[Entry],
    v2_decisions: list[Entry],
    *,
    v1_available: bool,
    unavailable_reason: str = "",
    v2_candidate_symbols: Iterable[str] = (),
    row_sink: Callable[[list[dict[str, Any]]], None] | None = None,
) -> tuple[ShadowVsLiveParity, EntryParityDetails]:
    """Summary and details. With row_sink, the details rows go to it in final order (plain dicts, one
    list per symbol) and the returned details model carries no rows; v2_candidate_symbols adds symbols of
    candidate decisions the caller did not keep as entries."""
    v2_entries = [e for e in v2_decisions if e.action == "entry"]
    v2_entry_syms = {e.symbol for e in v2_entries}
    v2_cand_syms = {e.symbol for e in v2_decisions if e.action in CANDIDATE_ACTIONS} | set(v2_candidate_symbols)
    v2_all = v2_entry_syms | v2_cand_syms
    st = _RowStats()
    kept: list[dict[str, Any]] = []
    v1_syms: set[str] = set()
    if v1_available:
        v1_map, v2_map = _by_symbol(v1_entries), _by_symbol(v2_entries)
        v1_syms = set(v1_map)
        for sym in sorted(set(v1_map) | set(v2_map)):  # rows sort by symbol first: one symbol at a time
            rows = [row_values(sym, a, b, c) for a, b, c in pairs(v1_map.get(sym, []), v2_map.get(sym, []))]
            rows.sort(key=row_key)
            for r in rows:
                st.add(r)
            if row_sink is None:
                kept.extend(rows)
            else:
                row_sink(rows)
    counts = st.counts
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
            rows=[ParityRow.model_construct(**r) for r in st.head], total_rows=st.total,
            rows_truncated=st.total > SUMMARY_ROWS,
            classification_counts=counts,
        ),
        aggregate_metrics=AggregateMetrics(
            mean_entry_ts_delta_seconds=_mean(st.ts_d),
            mean_score_delta=_mean(st.score_d),
            mean_price_delta_usd=_mean(st.price_d),
            match_rate=ratio(matched, st.total),
            matched_pairs=st.paired,
            mean_abs_entry_ts_delta_seconds=_mean([abs(x) for x in st.ts_d]),
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
                                 rows=[ParityRow.model_construct(**r) for r in kept])
    return parity, details
