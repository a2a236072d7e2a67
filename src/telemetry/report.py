"""FULL_TELEMETRY_<day>.md: the human reading of the computed artifacts.

Built only from the artifact models and input stats, with no clock reading, so the report is
as reproducible as the JSON it summarises.
"""

from __future__ import annotations

from typing import Any

from src.telemetry.manifest import InputEntry
from src.telemetry.models import (
    WINDOWS,
    ExitIntelCompleteness,
    LiveVsShadowPnl,
    LongShortAnalysis,
    PerfStats,
    RegimeTimeline,
    ReplacementTelemetryExpanded,
    ShadowVsLiveParity,
    SignalPerformance,
    SignalWeightRecommendations,
)

TOP_N = 15


def _perf_line(name: str, s: PerfStats) -> str:
    return (f"| {name} | {s.trade_count} | {s.win_rate:.1%} | {s.total_pnl_usd:,.2f} | {s.avg_pnl_usd:,.2f} | "
            f"{s.avg_win_usd:,.2f} | {s.avg_loss_usd:,.2f} | {s.expectancy_usd:,.2f} |")


def render_report(day: str, art: dict[str, Any], inputs: list[InputEntry], context: dict[str, int],
                  notes: list[str]) -> str:
    ls: LongShortAnalysis = art["long_short_analysis.json"]
    pnl: LiveVsShadowPnl = art["live_vs_shadow_pnl.json"]
    par: ShadowVsLiveParity = art["shadow_vs_live_parity.json"]
    exc: ExitIntelCompleteness = art["exit_intel_completeness.json"]
    rep: ReplacementTelemetryExpanded = art["replacement_telemetry_expanded.json"]
    sig: SignalPerformance = art["signal_performance.json"]
    rec: SignalWeightRecommendations = art["signal_weight_recommendations.json"]
    reg: RegimeTimeline = art["regime_timeline.json"]
    out = [f"# Full telemetry: {day}", "",
           "Read-only bundle (contract 4.20). Machine-readable artifacts are in `computed/`; inputs and hashes in "
           "`telemetry_manifest.json`.", ""]

    out += ["## Did v2 (shadow) beat v1 (live)?", "",
            "| window | live PnL | shadow PnL | delta (shadow - live) | live trades | shadow trades |",
            "|---|---:|---:|---:|---:|---:|"]
    for w in WINDOWS:
        b = getattr(pnl.windows, f"w{w}")
        out.append(f"| {w} | {b.live.pnl_usd:,.2f} | {b.shadow.pnl_usd:,.2f} | {b.delta.pnl_usd:,.2f} | "
                   f"{b.live.trade_count} | {b.shadow.trade_count} |")
    out.append("")

    out += ["## Long / short (trades closed today)", "",
            "| population | trades | win rate | total PnL | avg PnL | avg win | avg loss | expectancy |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            _perf_line("all: overall", ls.overall), _perf_line("all: long", ls.long_only),
            _perf_line("all: short", ls.short_only)]
    for src, b in sorted(ls.by_source.items()):
        out += [_perf_line(f"{src}: overall", b.overall), _perf_line(f"{src}: long", b.long_only),
                _perf_line(f"{src}: short", b.short_only)]
    out.append("")

    out += ["## Shadow vs live entry parity", ""]
    if not par.notes.parity_available:
        out += [f"**{par.notes.reason}**", ""]
    counts = ", ".join(f"{k} {v}" for k, v in par.entry_parity.classification_counts.items())
    am = par.aggregate_metrics
    out += [f"- symbols: v1 {par.overlap.v1_count}, v2 {par.overlap.v2_count}, overlap {par.overlap.overlap_count} "
            f"(jaccard {par.overlap.jaccard:.2f})",
            f"- rows: {par.entry_parity.total_rows} ({counts})",
            f"- match rate {am.match_rate:.1%}, matched pairs {am.matched_pairs}, mean entry delta "
            f"{am.mean_entry_ts_delta_seconds} s, mean score delta {am.mean_score_delta}, mean price delta "
            f"{am.mean_price_delta_usd} USD", ""]

    out += ["## Signals (top by total PnL)", "", "| signal | family | trades | win rate | total PnL | expectancy |",
            "|---|---|---:|---:|---:|---:|"]
    for r in sorted(sig.signals, key=lambda r: (-r.total_pnl_usd, r.signal))[:TOP_N]:
        out.append(f"| {r.signal} | {r.family} | {r.trade_count} | {r.win_rate:.1%} | {r.total_pnl_usd:,.2f} | "
                   f"{r.expectancy_usd:,.2f} |")
    out += ["", "Weight recommendations are **advisory only** and were not applied:", ""]
    for r in rec.recommendations[:TOP_N]:
        out.append(f"- {r.signal}: {r.recommendation} (x{r.suggested_multiplier}, confidence {r.confidence:.2f}) "
                   f"- {r.rationale}")
    out.append("")

    out += ["## Exit intelligence completeness", "",
            f"- exit records today: {exc.total_records}, complete: {exc.complete_records} "
            f"({exc.completeness_pct:.1f}%), undated: {exc.undated_records}"]
    gaps = {**exc.missing_top_level_counts, **{f"v2_exit_components.{k}": v for k, v in exc.missing_component_counts.items()}}
    missing = [f"{k} ({v})" for k, v in gaps.items() if v]
    out += [f"- missing fields: {', '.join(missing) if missing else 'none'}",
            f"- replacement exits: {rep.replacement_exit_count} (with candidate {rep.with_candidate_count}, "
            f"with reasoning {rep.with_reasoning_count}); shadow replacement decisions: "
            f"{rep.shadow_replacement_decisions}", ""]

    out += ["## Regime", "", f"- current state: {reg.current_state}", f"- transitions today: {reg.transitions}"]
    out += [f"- {s.regime}: {s.start_ts} -> {s.end_ts} ({s.observations} obs)" for s in reg.segments[:TOP_N]]
    out.append("")

    out += ["## Inputs and data gaps", "", "| input | path | lines | torn | unusable | today | missing |",
            "|---|---|---:|---:|---:|---:|---|"]
    for i in inputs:
        out.append(f"| {i.name} | `{i.path}` | {i.line_count} | {i.skipped_lines if i.skipped_lines is not None else ''} "
                   f"| {i.unusable_lines if i.unusable_lines is not None else ''} | "
                   f"{i.records_in_day if i.records_in_day is not None else ''} | {'MISSING' if i.missing else ''} |")
    out.append("")
    out += [f"- {k}: {v}" for k, v in sorted(context.items())]
    out += [f"- note: {n}" for n in notes]
    out.append("")
    return "\n".join(out)
