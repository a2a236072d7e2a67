"""Post-close analysis pack (contract 4.19): one folder a human can read to judge the day.

analysis_packs/<day>/ holds MASTER_SUMMARY_<day>.md, charts/ (PNG), state/ (copies of state
files), reports/ (the day's reports), telemetry/ (the day's bundle), logs_tail/ (last lines of
every log) and pack_manifest.json. Everything is derived from files already on disk; anything
absent is listed as missing and the pack is still written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from src.core.events import emit
from src.core.jsonio import atomic_write_json, atomic_write_text, dumps, tail_jsonl
from src.core.paths import Paths
from src.core.state import inspect_state
from src.telemetry import charts
from src.telemetry.bundle import COMPUTED, MANIFEST, log_inputs, report_name, state_inputs
from src.telemetry.distributions import ScoreCurvesBuilder, read_regime_state
from src.telemetry.models import LiveVsShadowPnl, ShadowVsLiveParity
from src.telemetry.readers import DayWindow, ReadStats, parse_shadow_decision, parse_trade, parse_v1_entry, stream
from src.telemetry.signals import SignalBuilder

TAIL_LINES = 200
PACK_MANIFEST = "pack_manifest.json"


def summary_name(day: str) -> str:
    return f"MASTER_SUMMARY_{day}.md"


@dataclass
class PackResult:
    day: str
    out_dir: Path
    summary: Path
    copied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)

    @property
    def artifacts(self) -> list[str]:
        return [str(self.summary), str(self.out_dir / PACK_MANIFEST)] + [str(self.out_dir / c) for c in self.charts]


def _copy(src: Path, dest: Path, res: PackResult, label: str) -> None:
    try:
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True)
        elif src.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        else:
            res.missing.append(label)
            return
        res.copied.append(dest.relative_to(res.out_dir).as_posix())
    except OSError as exc:
        res.missing.append(f"{label} (copy failed: {exc.strerror or exc})")


def _day_series(day: str, paths: Paths, window: DayWindow) -> tuple[dict[str, list[tuple[float, float]]], SignalBuilder]:
    series: dict[str, list[tuple[float, float]]] = {"live": [], "shadow": []}
    sig = SignalBuilder(day)
    for t in stream(paths.master_trade_log, parse_trade, ReadStats(str(paths.master_trade_log))):
        if window.contains(t.exit_ts):
            series.setdefault(t.source, []).append((t.exit_ts, t.pnl))  # type: ignore[arg-type]
            sig.add(t)
    return series, sig


def _scores(day: str, paths: Paths, window: DayWindow) -> ScoreCurvesBuilder:
    sc = ScoreCurvesBuilder(day)
    for e in stream(paths.attribution_log, parse_v1_entry, ReadStats(str(paths.attribution_log))):
        if window.contains(e.ts):
            sc.hists["v1_attribution_entries"].add(e.score)
    for e in stream(paths.shadow_trades_log, parse_shadow_decision, ReadStats(str(paths.shadow_trades_log))):
        if window.contains(e.ts):
            sc.hists["v2_shadow_decisions"].add(e.score)
            sc.hists["v1_score_in_shadow_decisions"].add(e.v1_score)
            if e.action == "entry":
                sc.hists["v2_shadow_entries"].add(e.score)
    return sc


def _telemetry_headline(paths: Paths, day: str) -> list[str]:
    comp = paths.telemetry_day(day) / COMPUTED
    par = inspect_state(comp / "shadow_vs_live_parity.json", ShadowVsLiveParity).value
    pnl = inspect_state(comp / "live_vs_shadow_pnl.json", LiveVsShadowPnl).value
    if par is None or pnl is None:
        return ["- telemetry bundle for this day is missing or unreadable: run scripts/run_full_telemetry_extract.py"]
    out = []
    for w, b in (("24h", pnl.windows.w24h), ("48h", pnl.windows.w48h), ("5d", pnl.windows.w5d)):
        out.append(f"- {w}: live {b.live.pnl_usd} USD vs shadow {b.shadow.pnl_usd} USD (delta {b.delta.pnl_usd})")
    if par.notes.parity_available:
        out.append(f"- entry parity: match rate {par.aggregate_metrics.match_rate}, {par.entry_parity.classification_counts}")
    else:
        out.append(f"- {par.notes.reason or 'parity unavailable'}")
    return out


def build_pack(day: str, paths: Paths, *, tail_lines: int = TAIL_LINES) -> PackResult:
    date.fromisoformat(day)
    out = paths.analysis_pack(day)
    out.mkdir(parents=True, exist_ok=True)
    res = PackResult(day, out, out / summary_name(day))
    window = DayWindow.for_day(day)

    for src in state_inputs(paths).values():
        _copy(src, out / "state" / src.name, res, f"state/{src.name}")
    reports = sorted(p for p in paths.reports.glob(f"*{day}*") if p.is_file()) if paths.reports.is_dir() else []
    if not reports:
        res.missing.append(f"reports/*{day}*")
    for p in reports:
        _copy(p, out / "reports" / p.name, res, f"reports/{p.name}")
    tel = paths.telemetry_day(day)
    _copy(tel, out / "telemetry", res, f"telemetry/{day}/")
    for log in log_inputs(paths).values():
        rows = tail_jsonl(log, tail_lines) if log.is_file() else None
        if rows is None:
            res.missing.append(f"logs/{log.name}")
            continue
        atomic_write_text(out / "logs_tail" / log.name, "".join(dumps(r).decode() + "\n" for r in rows))
        res.copied.append(f"logs_tail/{log.name}")

    series, sig = _day_series(day, paths, window)
    perf = sig.result()
    curves = _scores(day, paths, window).result().curves
    for fname, draw in (
        ("equity_curves.png", lambda p: charts.equity_curves(series, p, f"Live vs shadow equity, {day}")),
        ("pnl_by_signal.png", lambda p: charts.pnl_by_signal(perf.signals, p, f"PnL by signal, {day}")),
        ("score_distributions.png", lambda p: charts.score_distributions(curves, p, f"Score distributions, {day}")),
    ):
        try:
            draw(out / "charts" / fname)
            res.charts.append(f"charts/{fname}")
        except Exception as exc:  # noqa: BLE001 - a chart is optional; the summary still gets written
            res.missing.append(f"charts/{fname} ({type(exc).__name__}: {exc})")
            emit("telemetry", "analysis_pack_chart_failed", "warning", paths=paths, day=day, chart=fname, error=repr(exc))

    atomic_write_text(res.summary, _summary(day, paths, res, series, perf.signals, curves))
    atomic_write_json(out / PACK_MANIFEST, {"day": day, "copied": sorted(res.copied), "missing": sorted(res.missing),
                                            "charts": res.charts, "summary": res.summary.name})
    return res


def _summary(day: str, paths: Paths, res: PackResult, series: dict[str, list[tuple[float, float]]],
             signals: list, curves: list) -> str:
    lines = [f"# Master summary: {day}", "",
             "Post-close analysis pack (contract 4.19), derived from state and logs only. v2 is shadow-only.", ""]
    lines += ["## Day at a glance", ""]
    for source in ("live", "shadow"):
        pts = series.get(source, [])
        wins = sum(1 for _, p in pts if p > 0)
        total = sum(p for _, p in pts)
        rate = f"{wins / len(pts):.0%}" if pts else "n/a"
        lines.append(f"- {source}: {len(pts)} closed trades, {total:,.2f} USD, win rate {rate}")
    regime = read_regime_state(paths.regime_state if paths.regime_state.exists() else None)
    lines += [f"- regime: {regime.get('regime')} (confidence {regime.get('confidence')}, as of {regime.get('as_of')})", ""]
    lines += ["## Telemetry bundle", ""] + _telemetry_headline(paths, day)
    if (paths.telemetry_day(day) / report_name(day)).is_file():
        lines.append(f"- full report: [telemetry/{report_name(day)}](telemetry/{report_name(day)}), "
                     f"manifest: [telemetry/{MANIFEST}](telemetry/{MANIFEST})")
    lines.append("")
    lines += ["## Charts", ""] + [f"![{c}]({c})" for c in res.charts] + [""]
    lines += ["## Signals", "", "| signal | trades | total PnL | win rate |", "|---|---:|---:|---:|"]
    lines += [f"| {r.signal} | {r.trade_count} | {r.total_pnl_usd:,.2f} | {r.win_rate:.0%} |"
              for r in sorted(signals, key=lambda r: (-r.total_pnl_usd, r.signal))]
    lines += ["", "## Score distributions", ""]
    lines += [f"- {c.name}: n={c.count}, mean {c.mean}, min {c.min}, max {c.max}" for c in curves]
    lines += ["", "## Contents", ""] + [f"- [{c}]({c})" for c in sorted(res.copied)]
    lines += ["", "## Missing artifacts", ""] + ([f"- {m}" for m in sorted(res.missing)] or ["- none"])
    lines.append("")
    return "\n".join(lines)


def run_postclose_analysis_pack(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: build the pack; failures become one event and ok=False."""
    try:
        res = build_pack(day, paths, tail_lines=int(options.get("tail_lines") or TAIL_LINES))
    except Exception as exc:  # noqa: BLE001 - the job reports, the worker keeps running
        emit("telemetry", "analysis_pack_failed", "error", paths=paths, day=day, error=repr(exc))
        return {"ok": False, "message": f"analysis pack for {day} failed: {type(exc).__name__}: {exc}",
                "artifacts": []}
    return {"ok": True, "artifacts": res.artifacts, "missing": res.missing,
            "message": f"analysis pack for {day} in {res.out_dir}: {len(res.copied)} item(s) copied, "
                       f"{len(res.charts)} chart(s), {len(res.missing)} missing"}

