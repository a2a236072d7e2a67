"""The daily telemetry bundle (4.20.2): one streaming pass per log, fourteen artifacts, report, manifest.

Read-only by construction: inputs are opened for reading (state through `inspect_state`, which
never heals someone else's file) and every write lands under telemetry/<day>/.
Idempotent: artifacts hold no clock reading, keys are sorted, lists have a fixed order and
floats are rounded, so equal inputs give byte-identical computed/ files.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from src.core.events import emit
from src.core.jsonio import atomic_write_json, atomic_write_text
from src.core.paths import REPO_ROOT, Paths
from src.telemetry.distributions import RegimeTimelineBuilder, ScoreCurvesBuilder
from src.telemetry.exits import CompletenessBuilder, ReplacementBuilder
from src.telemetry.families import dominant_family
from src.telemetry.features import FamilyBuilder, FeatureColumns, build_equalizer, build_matrix, build_value_curves
from src.telemetry.jsonstream import JsonListWriter
from src.telemetry.manifest import InputEntry, build_manifest, code_version, describe_input, describe_output
from src.telemetry.models import ARTIFACT_MODELS, PARITY_CLASSIFICATIONS, EntryParityDetails, ShadowVsLiveParity
from src.telemetry.parity import CANDIDATE_ACTIONS, build_parity
from src.telemetry.perf import LiveVsShadowBuilder, LongShortBuilder
from src.telemetry.readers import (
    SKIP,
    DayWindow,
    Entry,
    ReadStats,
    date_bounds,
    parse_exit_attribution,
    parse_shadow_decision,
    parse_trade,
    parse_ts_within,
    parse_v1_entry,
    stream,
)
from src.telemetry.report import render_report
from src.telemetry.signals import SignalBuilder, build_recommendations

COMPUTED = "computed"
DETAILS = "entry_parity_details.json"
MANIFEST = "telemetry_manifest.json"


def report_name(day: str) -> str:
    return f"FULL_TELEMETRY_{day}.md"


@dataclass
class BundleResult:
    day: str
    out_dir: Path
    computed: dict[str, Path]
    report: Path
    manifest: Path
    inputs: list[InputEntry]
    notes: list[str] = field(default_factory=list)

    @property
    def artifacts(self) -> list[str]:
        return [str(p) for p in self.computed.values()] + [str(self.report), str(self.manifest)]

    @property
    def missing_inputs(self) -> list[str]:
        return [i.path for i in self.inputs if i.missing]


def log_inputs(paths: Paths) -> dict[str, Path]:
    return {
        "master_trade_log": paths.master_trade_log,
        "exit_attribution": paths.exit_attribution_log,
        "attribution": paths.attribution_log,
        "shadow_trades": paths.shadow_trades_log,
        "exits": paths.exits_log,
        "run": paths.run_log,
        "system_events": paths.system_events,
    }


def state_inputs(paths: Paths) -> dict[str, Path]:
    """The state files the contract names, plus any other state/*.json present (intel written by others)."""
    named = {
        "regime_state": paths.regime_state, "premarket_intel": paths.premarket_intel,
        "postmarket_intel": paths.postmarket_intel, "daily_universe": paths.daily_universe,
        "core_universe": paths.core_universe, "daily_universe_v2": paths.daily_universe_v2,
        "uw_intel_pnl_summary": paths.uw_intel_pnl_summary, "shadow_positions": paths.shadow_positions,
        "premarket_exit_intel": paths.premarket_exit_intel, "postmarket_exit_intel": paths.postmarket_exit_intel,
        "exit_intel_pnl_summary": paths.exit_intel_pnl_summary,
    }
    known = {p.name for p in named.values()}
    try:
        extra = sorted(p for p in paths.state.glob("*.json") if p.name not in known and ".corrupted." not in p.name)
    except OSError:
        extra = []
    return {**named, **{f"state:{p.stem}": p for p in extra}}


def _in_day(window: DayWindow, parse: Callable[[dict[str, Any]], Any], *keys: str) -> Callable[[dict[str, Any]], Any]:
    """Check the timestamp before the full parse: most lines of a long log belong to other days."""

    bounds = date_bounds(window.start, window.end)
    start, end = window.start, window.end
    if len(keys) == 1:  # the decision logs: one timestamp key, so no loop per line
        key = keys[0]

        def single(row: dict[str, Any]) -> Any:
            raw = row.get(key)
            if raw is None:
                return None
            ts = parse_ts_within(raw, bounds)
            return parse(row) if ts is not None and start <= ts < end else SKIP

        return single

    def inner(row: dict[str, Any]) -> Any:
        present = False
        for k in keys:
            raw = row.get(k)
            if raw is None:
                continue
            present = True
            ts = parse_ts_within(raw, bounds)
            if ts is not None and window.contains(ts):
                return parse(row)
        return SKIP if present else None

    return inner


def _count_only(row: dict[str, Any]) -> Any:
    return row


@dataclass
class _Pass:
    """Everything the streaming pass accumulates for one day."""

    day: str
    window: DayWindow
    stats: dict[str, ReadStats]
    long_short: LongShortBuilder = field(init=False)
    lvs: LiveVsShadowBuilder = field(init=False)
    signals: SignalBuilder = field(init=False)
    families: FamilyBuilder = field(init=False)
    cols: FeatureColumns = field(default_factory=FeatureColumns)
    scores: ScoreCurvesBuilder = field(init=False)
    regimes: RegimeTimelineBuilder = field(init=False)
    completeness: CompletenessBuilder = field(init=False)
    replacement: ReplacementBuilder = field(init=False)
    v1_entries: list[Entry] = field(default_factory=list)
    v2_entries: list[Entry] = field(default_factory=list)
    v2_candidate_symbols: set[str] = field(default_factory=set)
    context: dict[str, int] = field(default_factory=dict)
    pending: dict[str, JsonListWriter] = field(default_factory=dict)  # streamed artifacts awaiting commit

    def __post_init__(self) -> None:
        d = self.day
        self.long_short, self.lvs, self.signals = LongShortBuilder(d), LiveVsShadowBuilder(self.window), SignalBuilder(d)
        self.families, self.scores, self.regimes = FamilyBuilder(d), ScoreCurvesBuilder(d), RegimeTimelineBuilder(d)
        self.completeness, self.replacement = CompletenessBuilder(d), ReplacementBuilder(d)


def _read_trades(p: _Pass, path: Path) -> None:
    undated = 0
    bounds = date_bounds(p.lvs.earliest, p.window.end)
    # window.contains and lvs.wants, inlined with their bounds bound once: this runs for every line
    start, end, earliest, close = p.window.start, p.window.end, p.lvs.earliest, p.window.close

    def parse(row: dict[str, Any]) -> Any:
        nonlocal undated
        raw = row.get("exit_ts")
        if raw is None:
            undated += 1
            return SKIP
        ts = parse_ts_within(raw, bounds)
        if ts is None:
            return SKIP
        if not (start <= ts < end or earliest < ts <= close):
            return SKIP
        return parse_trade(row)

    lvs_add, ls_add, sig_add, fam_add, cols_add = (p.lvs.add, p.long_short.add, p.signals.add, p.families.add,
                                                   p.cols.add)
    for t in stream(path, parse, p.stats["master_trade_log"]):
        lvs_add(t)
        ts = t.exit_ts
        if ts is not None and start <= ts < end:
            ls_add(t)
            sig_add(t)
            fam_add(t)
            if t.source == "shadow":
                cols_add(t)
    p.context["master_trade_log: lines without exit_ts (open or malformed)"] = undated


def _compact(e: Entry) -> Entry:
    """Keep the family, drop the component dict: parity needs only the former."""
    e.family = dominant_family(e.components) if e.components else ""
    e.components = {}
    return e


def _read_decisions(p: _Pass, paths: Paths) -> None:
    hist = p.scores.hists
    for e in stream(paths.attribution_log, _in_day(p.window, parse_v1_entry, "ts"), p.stats["attribution"]):
        hist["v1_attribution_entries"].add(e.score)
        p.v1_entries.append(_compact(e))
    for e in stream(paths.shadow_trades_log, _in_day(p.window, parse_shadow_decision, "ts"), p.stats["shadow_trades"]):
        hist["v2_shadow_decisions"].add(e.score)
        hist["v1_score_in_shadow_decisions"].add(e.v1_score)
        if e.action == "entry":
            hist["v2_shadow_entries"].add(e.score)
        elif e.action == "replacement":
            p.replacement.add_shadow_decision()
        p.regimes.add(e.ts, e.regime)
        if e.action == "entry":  # only entries are paired; other candidates count by symbol
            p.v2_entries.append(_compact(e))
        elif e.action in CANDIDATE_ACTIONS:
            p.v2_candidate_symbols.add(e.symbol)


def _read_exits(p: _Pass, path: Path) -> None:
    def parse(row: dict[str, Any]) -> Any:
        rec = parse_exit_attribution(row)
        if rec.ts is None:
            p.completeness.add_undated()
            return SKIP
        return rec if p.window.contains(rec.ts) else SKIP

    for rec in stream(path, parse, p.stats["exit_attribution"]):
        p.completeness.add(rec)
        p.replacement.add(rec)


def _read_context(p: _Pass, paths: Paths) -> None:
    for name, key in (("exits", "v1 exits today"), ("run", "engine cycles today")):
        path = log_inputs(paths)[name]
        p.context[key] = sum(1 for _ in stream(path, _in_day(p.window, _count_only, "ts", "exit_ts"), p.stats[name]))
    for row in stream(paths.system_events, _in_day(p.window, _count_only, "ts"), p.stats["system_events"]):
        sev = str(row.get("severity") or "unknown")
        key = f"system events today ({sev})"
        p.context[key] = p.context.get(key, 0) + 1


def _parity(p: _Pass, details_to: Path | None) -> tuple[ShadowVsLiveParity, EntryParityDetails]:
    """With details_to, the details rows stream into a pending writer (committed by build_bundle)
    instead of living in memory: on a busy day they are most of the bundle's bytes."""
    v1_ok = p.stats["attribution"].exists
    sink = None
    if details_to is not None:
        head = EntryParityDetails(day=p.day, parity_available=v1_ok, rows=[],
                                  allowed_classifications=list(PARITY_CLASSIFICATIONS))  # type: ignore[arg-type]
        writer = JsonListWriter(details_to, head.model_dump(mode="json", by_alias=True, exclude={"rows"}), "rows")
        p.pending[DETAILS] = writer
        sink = writer.add_many
    parity, details = build_parity(
        p.day, p.v1_entries, p.v2_entries, v1_available=v1_ok, v2_candidate_symbols=p.v2_candidate_symbols,
        unavailable_reason="" if v1_ok else "v1 log logs/attribution.jsonl is missing", row_sink=sink,
    )
    p.v1_entries, p.v2_entries = [], []  # done with them: free before the other artifacts are built
    return parity, details


def compute(day: str, paths: Paths, window: DayWindow | None = None,
            details_to: Path | None = None) -> tuple[dict[str, BaseModel], _Pass]:
    """All fourteen artifact models for the day, from the logs under paths. Pure apart from reading,
    unless details_to is given: then the parity details rows are streamed to a temp file beside
    it, and `_Pass.pending` holds the writer to commit (or abort)."""
    window = window or DayWindow.for_day(day)
    stats = {name: ReadStats(path=str(path)) for name, path in log_inputs(paths).items()}
    p = _Pass(day, window, stats)
    try:
        with _gc_paused():
            return _compute(p, paths, details_to)
    except BaseException:
        _abort(p)
        raise


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The pass allocates millions of acyclic objects and keeps hundreds of thousands of them, so the
    cyclic collector keeps rescanning a growing heap for nothing (~8 % of a busy day's time). It
    changes no result; whatever cycles appear are collected once it is back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _abort(p: _Pass) -> None:
    for writer in p.pending.values():
        writer.abort()


def _compute(p: _Pass, paths: Paths, details_to: Path | None) -> tuple[dict[str, BaseModel], _Pass]:
    day = p.day
    _read_trades(p, paths.master_trade_log)
    _read_decisions(p, paths)
    _read_exits(p, paths.exit_attribution_log)
    _read_context(p, paths)
    parity, details = _parity(p, details_to)
    perf = p.signals.result()
    models: dict[str, BaseModel] = {
        "feature_equalizer_builder.json": build_equalizer(day, p.cols),
        "long_short_analysis.json": p.long_short.result(),
        "exit_intel_completeness.json": p.completeness.result(),
        "feature_value_curves.json": build_value_curves(day, p.cols),
        "regime_sector_feature_matrix.json": build_matrix(day, p.cols),
        "shadow_vs_live_parity.json": parity,
        DETAILS: details,
        "score_distribution_curves.json": p.scores.result(),
        "regime_timeline.json": p.regimes.result(paths.regime_state if paths.regime_state.exists() else None),
        "feature_family_summary.json": p.families.result(),
        "replacement_telemetry_expanded.json": p.replacement.result(),
        "live_vs_shadow_pnl.json": p.lvs.result(),
        "signal_performance.json": perf,
        "signal_weight_recommendations.json": build_recommendations(perf),
    }
    assert set(models) == set(ARTIFACT_MODELS)
    return models, p


def _describe_inputs(paths: Paths) -> list[InputEntry]:
    """Manifest entries of every log, then every state file, in that order."""
    logs = [describe_input(name, path, paths.root) for name, path in log_inputs(paths).items()]
    return logs + [describe_input(name, path, paths.root) for name, path in state_inputs(paths).items()]


def build_bundle(day: str, paths: Paths, repo_root: Path = REPO_ROOT) -> BundleResult:
    date.fromisoformat(day)  # a bad date is a caller error, raised before anything is written
    out_dir = paths.telemetry_day(day)
    computed_dir = out_dir / COMPUTED
    # The inputs' digests (half a GB on a busy day) are taken on a worker thread while the pass reads:
    # hashlib releases the GIL, so the hashing costs no wall time.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="telemetry-digest") as pool:
        described = pool.submit(_describe_inputs, paths)
        models, p = compute(day, paths, details_to=computed_dir / DETAILS)
        inputs = described.result()
    written: dict[str, Path] = {}
    try:
        for name in sorted(models):
            target = computed_dir / name
            if name in p.pending:
                p.pending.pop(name).commit()
            else:
                atomic_write_json(target, models[name].model_dump(mode="json", by_alias=True))
            written[name] = target
    finally:
        _abort(p)

    for entry in inputs[: len(p.stats)]:  # the logs come first, in log_inputs order (as do the stats)
        st = p.stats[entry.name]
        entry.skipped_lines, entry.unusable_lines, entry.records_in_day = st.skipped, st.unusable, st.in_day

    notes = []
    missing = [i.path for i in inputs if i.missing]
    if missing:
        notes.append("missing inputs (bundle generated best-effort): " + ", ".join(missing))
    parity = models["shadow_vs_live_parity.json"]
    if not parity.notes.parity_available:  # type: ignore[attr-defined]
        notes.append(parity.notes.reason)  # type: ignore[attr-defined]
    torn = sum(i.skipped_lines or 0 for i in inputs)
    if torn:
        notes.append(f"{torn} torn or non-JSON log line(s) skipped")
    notes.append("signal weight recommendations are advisory only and were not applied")

    report = out_dir / report_name(day)
    atomic_write_text(report, render_report(day, models, inputs, p.context, notes))
    outputs = [describe_output(written[n], out_dir) for n in sorted(written)] + [describe_output(report, out_dir)]
    manifest_path = out_dir / MANIFEST
    atomic_write_json(manifest_path, build_manifest(day, code_version(repo_root), inputs, outputs, notes))
    return BundleResult(day, out_dir, written, report, manifest_path, inputs, notes)


def run_full_telemetry_extract(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: build the bundle; a failure is one event and ok=False, never an exception."""
    try:
        res = build_bundle(day, paths, Path(options.get("repo_root") or REPO_ROOT))
    except ValueError as exc:
        emit("telemetry", "telemetry_bundle_failed", "error", paths=paths, day=day, error=str(exc))
        return {"ok": False, "message": f"invalid date {day!r}: {exc}", "artifacts": []}
    except Exception as exc:  # noqa: BLE001 - the job reports, the worker keeps running
        emit("telemetry", "telemetry_bundle_failed", "error", paths=paths, day=day, error=repr(exc))
        return {"ok": False, "message": f"telemetry bundle for {day} failed: {type(exc).__name__}: {exc}",
                "artifacts": []}
    missing = res.missing_inputs
    msg = f"telemetry bundle for {day}: {len(res.computed)} artifacts in {res.out_dir}"
    if missing:
        msg += f"; {len(missing)} input(s) missing"
    return {"ok": True, "message": msg, "artifacts": res.artifacts, "missing_inputs": missing, "notes": res.notes}
