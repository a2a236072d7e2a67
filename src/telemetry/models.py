"""One pydantic model per computed artifact of contract 4.20.2: the model IS the schema.

Every field is required (no defaults) so that validating a file with these models is the
regression check of 4.20.8: a missing key fails, while empty arrays stay valid (4.20.10).
Builders construct these models, so a bundle can never be written with a key missing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PARITY_CLASSIFICATIONS: tuple[str, ...] = ("perfect_match", "near_match", "divergent", "missing_in_v1", "missing_in_v2")
WINDOWS: tuple[str, ...] = ("24h", "48h", "5d")
Classification = Literal["perfect_match", "near_match", "divergent", "missing_in_v1", "missing_in_v2"]


class _Strict(BaseModel):
    """Required keys, extra keys tolerated (additive contract: readers must not break on more)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---------------------------------------------------------------- shared blocks
class PerfStats(_Strict):
    trade_count: int
    wins: int
    losses: int
    win_rate: float
    total_pnl_usd: float
    avg_pnl_usd: float
    avg_win_usd: float
    avg_loss_usd: float
    expectancy_usd: float


class SideBreakdown(_Strict):
    overall: PerfStats
    long_only: PerfStats
    short_only: PerfStats


# ---------------------------------------------------------------- 4.20.4
class LongShortAnalysis(_Strict):
    day: str
    overall: PerfStats
    long_only: PerfStats
    short_only: PerfStats
    by_source: dict[str, SideBreakdown]
    notes: dict[str, str | int | float | bool]


# ---------------------------------------------------------------- 4.20.9
class PnlBlock(_Strict):
    pnl_usd: float
    expectancy_usd: float
    trade_count: int
    win_rate: float


class WindowBlock(_Strict):
    start_utc: str
    end_utc: str
    live: PnlBlock
    shadow: PnlBlock
    delta: PnlBlock


class Windows(_Strict):
    w24h: WindowBlock = Field(alias="24h")
    w48h: WindowBlock = Field(alias="48h")
    w5d: WindowBlock = Field(alias="5d")


class SymbolWindowRow(_Strict):
    symbol: str
    window: Literal["24h", "48h", "5d"]
    live_pnl_usd: float
    shadow_pnl_usd: float
    delta_pnl_usd: float
    live_trade_count: int
    shadow_trade_count: int


class LiveVsShadowPnl(_Strict):
    day: str
    window_end_utc: str
    delta_definition: str
    windows: Windows
    per_symbol: list[SymbolWindowRow]


# ---------------------------------------------------------------- 4.21
class ParityRow(_Strict):
    symbol: str
    v1_entry_ts: str | None
    v2_entry_ts: str | None
    entry_ts_delta_seconds: float | None
    v1_score_at_entry: float | None
    v2_score_at_entry: float | None
    score_delta: float | None
    v1_price_at_entry: float | None
    v2_price_at_entry: float | None
    price_delta_usd: float | None
    classification: Classification
    missing_fields: list[str]
    feature_family: str


class Overlap(_Strict):
    v1_symbols: list[str]
    v2_entry_symbols: list[str]
    v2_candidate_symbols: list[str]
    overlap_symbols: list[str]
    v1_only_symbols: list[str]
    v2_only_symbols: list[str]
    v1_count: int
    v2_count: int
    overlap_count: int
    jaccard: float


class EntryParity(_Strict):
    allowed_classifications: list[Classification]
    rows: list[ParityRow]
    total_rows: int
    rows_truncated: bool
    classification_counts: dict[str, int]


class AggregateMetrics(_Strict):
    mean_entry_ts_delta_seconds: float | None
    mean_score_delta: float | None
    mean_price_delta_usd: float | None
    match_rate: float
    matched_pairs: int


class ParityNotes(_Strict):
    parity_available: bool
    reason: str
    thresholds: dict[str, float]


class ShadowVsLiveParity(_Strict):
    day: str
    overlap: Overlap
    entry_parity: EntryParity
    aggregate_metrics: AggregateMetrics
    notes: ParityNotes


class EntryParityDetails(_Strict):
    day: str
    parity_available: bool
    allowed_classifications: list[Classification]
    rows: list[ParityRow]


# ---------------------------------------------------------------- 4.20.3
class ExitIntelCompleteness(_Strict):
    day: str
    total_records: int
    complete_records: int
    completeness_pct: float
    required_top_level_keys: list[str]
    required_component_keys: list[str]
    missing_top_level_counts: dict[str, int]
    missing_component_counts: dict[str, int]
    records_with_missing_fields: int
    undated_records: int


# ---------------------------------------------------------------- 4.20.5
class FeatureStats(_Strict):
    count: int
    total_pnl_usd: float
    avg_pnl_usd: float
    win_rate: float
    mean_value: float | None
    value_pnl_correlation: float | None


class FeatureSummary(_Strict):
    feature: str
    family: str
    overall: FeatureStats
    long: FeatureStats
    short: FeatureStats


class FeatureEqualizerBuilder(_Strict):
    day: str
    source: str
    trade_count: int
    features: list[FeatureSummary]


class CurveBin(_Strict):
    bin_index: int
    lower: float
    upper: float
    count: int
    mean_value: float
    avg_pnl_usd: float
    win_rate: float


class FeatureCurve(_Strict):
    feature: str
    family: str
    count: int
    bins: list[CurveBin]


class FeatureValueCurves(_Strict):
    day: str
    method: str
    bins_requested: int
    curves: list[FeatureCurve]


class MatrixCell(_Strict):
    regime: str
    sector: str
    feature: str
    count: int
    mean_value: float
    avg_pnl_usd: float
    win_rate: float


class GroupPerf(_Strict):
    key: str
    trade_count: int
    total_pnl_usd: float
    win_rate: float


class RegimeSectorFeatureMatrix(_Strict):
    day: str
    regimes: list[str]
    sectors: list[str]
    features: list[str]
    cells: list[MatrixCell]
    by_regime: list[GroupPerf]
    by_sector: list[GroupPerf]


# ---------------------------------------------------------------- distributions + regimes
class HistBin(_Strict):
    lower: float
    upper: float
    count: int


class ScoreCurve(_Strict):
    name: str
    count: int
    mean: float | None
    min: float | None
    max: float | None
    bins: list[HistBin]


class ScoreDistributionCurves(_Strict):
    day: str
    bin_width: float
    curves: list[ScoreCurve]


class RegimeSegment(_Strict):
    regime: str
    start_ts: str
    end_ts: str
    observations: int


class RegimeTimeline(_Strict):
    day: str
    current_state: dict[str, str | float | None]
    segments: list[RegimeSegment]
    observations_by_regime: dict[str, int]
    transitions: int


class FamilyRow(_Strict):
    family: str
    features: list[str]
    trade_count: int
    live_trade_count: int
    shadow_trade_count: int
    total_pnl_usd: float
    avg_pnl_usd: float
    win_rate: float


class FeatureFamilySummary(_Strict):
    day: str
    families: list[FamilyRow]
    family_rules: dict[str, list[str]]


# ---------------------------------------------------------------- 4.20.6
class ReplacementRow(_Strict):
    symbol: str
    ts: str | None
    replacement_candidate: str | None
    replacement_reasoning: object | None
    pnl: float | None


class CandidateCount(_Strict):
    symbol: str
    count: int


class ReplacementTelemetryExpanded(_Strict):
    day: str
    replacement_exit_count: int
    with_candidate_count: int
    with_reasoning_count: int
    shadow_replacement_decisions: int
    total_pnl_usd: float
    avg_pnl_usd: float
    candidate_symbols: list[CandidateCount]
    rows: list[ReplacementRow]


# ---------------------------------------------------------------- 4.20.10
class SignalRow(_Strict):
    signal: str
    family: str
    trade_count: int
    live_trade_count: int
    shadow_trade_count: int
    win_rate: float
    total_pnl_usd: float
    avg_pnl_usd: float
    avg_win_usd: float
    avg_loss_usd: float
    expectancy_usd: float


class SignalPerformance(_Strict):
    day: str
    trade_count: int
    signals: list[SignalRow]
    families: list[SignalRow]


class Recommendation(_Strict):
    signal: str
    family: str
    trade_count: int
    expectancy_usd: float
    win_rate: float
    recommendation: Literal["increase", "decrease", "hold", "insufficient_data"]
    suggested_multiplier: float
    confidence: float
    rationale: str


class SignalWeightRecommendations(_Strict):
    day: str
    advisory_only: Literal[True]
    applied: Literal[False]
    method: str
    min_trades: int
    recommendations: list[Recommendation]


ARTIFACT_MODELS: dict[str, type[BaseModel]] = {
    "feature_equalizer_builder.json": FeatureEqualizerBuilder,
    "long_short_analysis.json": LongShortAnalysis,
    "exit_intel_completeness.json": ExitIntelCompleteness,
    "feature_value_curves.json": FeatureValueCurves,
    "regime_sector_feature_matrix.json": RegimeSectorFeatureMatrix,
    "shadow_vs_live_parity.json": ShadowVsLiveParity,
    "entry_parity_details.json": EntryParityDetails,
    "score_distribution_curves.json": ScoreDistributionCurves,
    "regime_timeline.json": RegimeTimeline,
    "feature_family_summary.json": FeatureFamilySummary,
    "replacement_telemetry_expanded.json": ReplacementTelemetryExpanded,
    "live_vs_shadow_pnl.json": LiveVsShadowPnl,
    "signal_performance.json": SignalPerformance,
    "signal_weight_recommendations.json": SignalWeightRecommendations,
}
