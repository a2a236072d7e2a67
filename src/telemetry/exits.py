"""Exit-intel completeness (4.20.3) and replacement telemetry (4.20.6) from shadow exit records."""

from __future__ import annotations

from src.telemetry.models import CandidateCount, ExitIntelCompleteness, ReplacementRow, ReplacementTelemetryExpanded
from src.telemetry.perf import ratio, rnd
from src.telemetry.readers import ExitRecord, iso

TOP_LEVEL_KEYS: tuple[str, ...] = (
    "pnl", "pnl_pct", "entry_price", "exit_price", "qty", "time_in_trade_minutes",
    "entry_regime", "exit_regime", "entry_sector_profile", "exit_sector_profile",
    "v2_exit_score", "v2_exit_components",
)
COMPONENT_KEYS: tuple[str, ...] = (
    "vol_expansion", "regime_shift", "sector_shift",
    "flow_deterioration", "darkpool_deterioration", "sentiment_deterioration",
    "score_deterioration",
)
REPLACEMENT_ROWS = 1000


class CompletenessBuilder:
    """Counts, per required key, how many of the day's exit records lack it (null counts as missing)."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.total = 0
        self.complete = 0
        self.with_missing = 0
        self.undated = 0
        self.missing_top = dict.fromkeys(TOP_LEVEL_KEYS, 0)
        self.missing_comp = dict.fromkeys(COMPONENT_KEYS, 0)

    def add_undated(self) -> None:
        self.undated += 1

    def add(self, rec: ExitRecord) -> None:
        self.total += 1
        missing = 0
        for k in TOP_LEVEL_KEYS:
            if k not in rec.keys:
                self.missing_top[k] += 1
                missing += 1
        for k in COMPONENT_KEYS:
            if k not in rec.component_keys:
                self.missing_comp[k] += 1
                missing += 1
        if missing:
            self.with_missing += 1
        else:
            self.complete += 1

    def result(self) -> ExitIntelCompleteness:
        return ExitIntelCompleteness(
            day=self.day, total_records=self.total, complete_records=self.complete,
            completeness_pct=rnd(100.0 * self.complete / self.total) if self.total else 0.0,
            required_top_level_keys=list(TOP_LEVEL_KEYS), required_component_keys=list(COMPONENT_KEYS),
            missing_top_level_counts=dict(self.missing_top), missing_component_counts=dict(self.missing_comp),
            records_with_missing_fields=self.with_missing, undated_records=self.undated,
        )


class ReplacementBuilder:
    def __init__(self, day: str) -> None:
        self.day = day
        self.rows: list[ReplacementRow] = []
        self.count = 0
        self.with_candidate = 0
        self.with_reasoning = 0
        self.total_pnl = 0.0
        self.pnl_n = 0
        self.candidates: dict[str, int] = {}
        self.shadow_decisions = 0

    def add_shadow_decision(self) -> None:
        self.shadow_decisions += 1

    def add(self, rec: ExitRecord) -> None:
        if rec.exit_reason.lower() != "replacement" and rec.replacement_candidate is None:
            return
        self.count += 1
        if rec.replacement_candidate:
            self.with_candidate += 1
            self.candidates[rec.replacement_candidate] = self.candidates.get(rec.replacement_candidate, 0) + 1
        if rec.replacement_reasoning not in (None, "", {}, []):
            self.with_reasoning += 1
        if rec.pnl is not None:
            self.total_pnl += rec.pnl
            self.pnl_n += 1
        self.rows.append(ReplacementRow(symbol=rec.symbol, ts=iso(rec.ts), replacement_candidate=rec.replacement_candidate,
                                        replacement_reasoning=rec.replacement_reasoning, pnl=rnd(rec.pnl)))

    def result(self) -> ReplacementTelemetryExpanded:
        rows = sorted(self.rows, key=lambda r: (r.ts or "", r.symbol, r.replacement_candidate or ""))
        return ReplacementTelemetryExpanded(
            day=self.day, replacement_exit_count=self.count, with_candidate_count=self.with_candidate,
            with_reasoning_count=self.with_reasoning, shadow_replacement_decisions=self.shadow_decisions,
            total_pnl_usd=rnd(self.total_pnl), avg_pnl_usd=ratio(self.total_pnl, self.pnl_n),
            candidate_symbols=[CandidateCount(symbol=s, count=n) for s, n in sorted(self.candidates.items(),
                                                                                      key=lambda kv: (-kv[1], kv[0]))],
            rows=rows[:REPLACEMENT_ROWS],
        )
