"""Intel dashboard (contract 4.14): reports/INTEL_DASHBOARD_<day>.md from state and logs only.

Nothing here opens a socket; every input is read without healing (the dashboard owns none of
them) and a missing or broken input becomes a line saying so, never an exception. Charts are
PNGs next to the report, drawn only where there is data to draw.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from src.core.clock import NY
from src.core.events import emit
from src.core.jsonio import atomic_write_text, iter_jsonl
from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state
from src.intel import dashboard_charts as charts
from src.intel.health import check_all
from src.intel.models import DaemonHealthState, IntelFile, IntelHealthState, RegimeStateFile
from src.intel.sector_intel import load_sector_profiles, resolve_sector
from src.intel.values import iso, job_now, num, parse_ts
from src.uw.universe import UniverseFile

EXIT_SECTION = "Exit Intelligence Snapshot (v2)"


class _AnyJson(BaseModel):
    model_config = ConfigDict(extra="allow")


def _load(path: Path, model: type[BaseModel]) -> tuple[Any, str]:
    res = inspect_state(path, model)
    return res.value, res.status.value if res.status is not LoadStatus.ok else "ok"


def _day_rows(path: Path, day: str, ts_keys: tuple[str, ...] = ("ts",)) -> list[dict[str, Any]]:
    out = []
    for row in iter_jsonl(path):
        ts = next((parse_ts(row.get(k)) for k in ts_keys if parse_ts(row.get(k)) is not None), None)
        if ts is not None and ts.astimezone(NY).date().isoformat() == day:
            out.append(row)
    return out


def _fmt(v: Any, digits: int = 2) -> str:
    f = num(v)
    return "-" if f is None else f"{f:,.{digits}f}"


def section_universe(paths: Paths) -> list[str]:
    lines = ["## Universe", ""]
    core, cs = _load(paths.core_universe, UniverseFile)
    daily, ds = _load(paths.daily_universe, UniverseFile)
    v2, vs = _load(paths.daily_universe_v2, UniverseFile)
    lines.append(f"- Core: {len(core.symbols) if core else 0} symbols ({cs})")
    lines.append(
        f"- Daily: {len(daily.symbols) if daily else 0} symbols ({ds})"
        + (f", source {(daily.model_extra or {}).get('source')}" if daily else "")
    )
    lines.append(f"- Universe v2 (shadow): {len(v2.symbols) if v2 else 0} symbols ({vs})")
    if daily and daily.symbols:
        lines += ["", "| rank | symbol | score | reason | v2 rank |", "|---:|---|---:|---|---:|"]
        v2rank = {e.symbol: e.rank for e in (v2.symbols if v2 else [])}
        for e in daily.symbols[:15]:
            lines.append(f"| {e.rank} | {e.symbol} | {_fmt(e.score, 3)} | {e.reason} | {v2rank.get(e.symbol, '-')} |")
    return lines


def section_freshness(paths: Paths, now: datetime, out_dir: Path, stem: str, pngs: list[Path]) -> list[str]:
    results = check_all(paths, now)
    lines = [
        "## Intel freshness",
        "",
        "| artifact | status | as of | age (h) | budget (h) |",
        "|---|---|---|---:|---:|",
    ]
    for name, r in results.items():
        age = None if r.age_s is None else r.age_s / 3600
        lines.append(
            f"| {name} | {r.status} | {r.as_of or '-'} | {_fmt(age, 1)} | {_fmt((r.max_age_s or 0) / 3600, 0)} |"
        )
    aged = [(n, r.age_s / 3600) for n, r in results.items() if r.age_s is not None]
    png = charts.bar_chart(
        [n for n, _ in aged], [a for _, a in aged], "Intel artifact age", "hours", out_dir / f"{stem}_freshness.png"
    )
    if png:
        pngs.append(png)
        lines += ["", f"![freshness]({png.name})"]
    return lines


def section_regime(paths: Paths) -> list[str]:
    reg, status = _load(paths.regime_state, RegimeStateFile)
    lines = ["## Regime", ""]
    if reg is None:
        return lines + [f"_regime state {status}: v2 treats the regime as neutral._"]
    lines += [
        f"- Regime: **{reg.regime}** (confidence {reg.confidence:.2f}), as of {reg.as_of}",
        f"- Flags: {', '.join(reg.flags) or 'none'}",
        f"- Inputs: {reg.inputs or {}}",
    ]
    tide = reg.evidence.get("tide") or {}
    if tide:
        lines.append(
            f"- Tide ratio {_fmt(tide.get('tide_ratio'), 3)}, persistence {_fmt(tide.get('persistence'), 2)}, "
            f"sign flips {tide.get('sign_flips')}, source {tide.get('source')}"
        )
    vol = reg.evidence.get("volatility") or {}
    if vol:
        lines.append(
            f"- Median IV {_fmt(vol.get('median_iv'), 3)}, median IV rank {_fmt(vol.get('median_iv_rank'), 1)}"
        )
    return lines


def section_sectors(paths: Paths, out_dir: Path, stem: str, pngs: list[Path]) -> list[str]:
    profiles = load_sector_profiles()
    pre, ps = _load(paths.premarket_intel, IntelFile)
    daily, _ = _load(paths.daily_universe, UniverseFile)
    core, _ = _load(paths.core_universe, UniverseFile)
    members: dict[str, list[str]] = {}
    for e in [*(core.symbols if core else []), *(daily.symbols if daily else [])]:
        name = resolve_sector(e.symbol, profiles, hint=(e.model_extra or {}).get("sector")).name
        if e.symbol not in members.setdefault(name, []):
            members[name].append(e.symbol)
    tides = pre.market.sector_tide if pre else {}
    lines = [
        "## Sector view",
        "",
        f"Sector profiles: {profiles.status} ({profiles.path}); premarket intel: {ps}",
        "",
        "| sector | uw multiplier | universe members | sector tide bias | tide ratio |",
        "|---|---:|---|---|---:|",
    ]
    names = sorted(set(profiles.config.sectors) | set(members))
    for name in names:
        mult = resolve_sector("", profiles, hint=name).multipliers["uw"]
        t = tides.get(name) or {}
        syms = members.get(name, [])
        lines.append(
            f"| {name} | {mult:.2f} | {', '.join(syms[:8])}{' ...' if len(syms) > 8 else ''} "
            f"| {t.get('bias', '-')} | {_fmt(t.get('tide_ratio'), 3)} |"
        )
    ratios = [(n, num(t.get("tide_ratio"))) for n, t in tides.items() if num(t.get("tide_ratio")) is not None]
    png = charts.bar_chart(
        [n for n, _ in ratios],
        [r for _, r in ratios],
        "Sector tide (premarket)",  # type: ignore[misc]
        "net / gross premium",
        out_dir / f"{stem}_sector_tide.png",
    )
    if png:
        pngs.append(png)
        lines += ["", f"![sector tide]({png.name})"]
    return lines


def section_scores(paths: Paths, day: str, out_dir: Path, stem: str, pngs: list[Path]) -> list[str]:
    rows = _day_rows(paths.uw_attribution_log, day)
    lines = ["## v2 vs v1 scores", ""]
    if not rows:
        return lines + [f"_no v2 scoring recorded for {day} in {paths.uw_attribution_log.name}_"]
    latest: dict[str, dict[str, Any]] = {}
    drivers: dict[str, float] = {}
    for r in rows:
        if isinstance(r.get("symbol"), str):
            latest[r["symbol"]] = r
        for k, v in (r.get("uw_adjustments") or {}).items():
            if num(v) is not None:
                drivers[k] = drivers.get(k, 0.0) + abs(float(v))
    deltas = [num(r.get("delta")) or 0.0 for r in latest.values()]
    lines += [
        f"- Scorings recorded: {len(rows)} over {len(latest)} symbols",
        f"- Mean v2 - v1: {sum(deltas) / len(deltas):+.3f}; lifted {sum(d > 0 for d in deltas)}, "
        f"cut {sum(d < 0 for d in deltas)}, unchanged {sum(d == 0 for d in deltas)}",
        "- Total |adjustment| by intel: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(drivers.items(), key=lambda kv: -kv[1])),
        "",
        "| symbol | direction | v1 | v2 | delta | top driver | regime | sector |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for sym, r in sorted(latest.items(), key=lambda kv: -abs(num(kv[1].get("delta")) or 0))[:20]:
        lines.append(
            f"| {sym} | {r.get('direction')} | {_fmt(r.get('v1_score'), 3)} | {_fmt(r.get('v2_score'), 3)} | "
            f"{_fmt(r.get('delta'), 3)} | {r.get('top_driver') or '-'} | {r.get('regime')} | {r.get('sector')} |"
        )
    pts = [(s, num(r.get("v1_score")) or 0.0, num(r.get("v2_score")) or 0.0) for s, r in latest.items()]
    png = charts.score_scatter(pts, out_dir / f"{stem}_v2_vs_v1.png")
    if png:
        pngs.append(png)
        lines += ["", f"![v2 vs v1]({png.name})"]
    return lines


def section_health(paths: Paths) -> list[str]:
    ih, ist = _load(paths.intel_health_state, IntelHealthState)
    dh, dst = _load(paths.uw_daemon_health_state, DaemonHealthState)
    lines = ["## Health", ""]
    lines.append(f"- Intel health: **{ih.overall}** at {ih.generated_at}" if ih else f"- Intel health state {ist}")
    if dh:
        lines.append(f"- UW daemon: **{dh.status}** at {dh.generated_at}")
        lines += [f"  - {r}" for r in dh.reasons]
    else:
        lines.append(f"- UW daemon health state {dst}")
    return lines


def section_exit(paths: Paths, day: str) -> list[str]:
    lines = [f"## {EXIT_SECTION}", ""]
    missing: list[str] = []
    exits = (
        _day_rows(paths.exit_attribution_log, day, ("exit_ts", "ts")) if paths.exit_attribution_log.exists() else None
    )
    if exits is None:
        missing.append(f"logs/{paths.exit_attribution_log.name} (missing)")
    else:
        pnl = [num(r.get("pnl")) for r in exits if num(r.get("pnl")) is not None]
        reasons: dict[str, int] = {}
        for r in exits:
            reasons[str(r.get("exit_reason") or "unknown")] = reasons.get(str(r.get("exit_reason") or "unknown"), 0) + 1
        lines += [
            f"- Exits today ({paths.exit_attribution_log.name}): {len(exits)}, P&L ${sum(pnl):,.2f}, "
            f"wins {sum(p > 0 for p in pnl)}/{len(pnl)}",  # type: ignore[operator]
            "- By exit reason: " + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"),
        ]
    for label, path in (
        ("Premarket exit intel", paths.premarket_exit_intel),
        ("Postmarket exit intel", paths.postmarket_exit_intel),
    ):
        val, st = _load(path, _AnyJson)
        if val is None:
            missing.append(f"state/{path.name} ({st})")
            continue
        d = val.model_dump()
        lines.append(
            f"- {label}: generated {d.get('generated_at')}, regime {d.get('regime')}, "
            f"open positions {d.get('open_positions')}, outlooks {len(d.get('positions') or [])}"
        )
    val, st = _load(paths.exit_intel_pnl_summary, _AnyJson)
    if val is None:
        missing.append(f"state/{paths.exit_intel_pnl_summary.name} ({st})")
    else:
        d = val.model_dump()
        overall = d.get("overall") or {}
        lines.append(
            f"- Exit intel P&L ({d.get('day')}): exits {d.get('exits_total')}, P&L ${_fmt(d.get('pnl_usd_total'))}, "
            f"win rate {_fmt(overall.get('win_rate'), 2)}, replacements {d.get('replacements')}"
        )
    if missing:
        lines += ["", "Not available yet: " + "; ".join(missing) + "."]
    return lines


def build_dashboard(paths: Paths, day: str, now: datetime) -> tuple[Path, list[Path]]:
    report = paths.report("INTEL_DASHBOARD", day)
    report.parent.mkdir(parents=True, exist_ok=True)
    stem = report.stem
    pngs: list[Path] = []
    parts = [
        f"# Intel Dashboard {day}",
        "",
        f"Generated {iso(now)} from state and logs only (no network). v2 is shadow-only; "
        "v1 trading reads none of this.",
        "",
    ]
    for build in (
        lambda: section_universe(paths),
        lambda: section_freshness(paths, now, report.parent, stem, pngs),
        lambda: section_regime(paths),
        lambda: section_sectors(paths, report.parent, stem, pngs),
        lambda: section_scores(paths, day, report.parent, stem, pngs),
        lambda: section_health(paths),
        lambda: section_exit(paths, day),
    ):
        try:
            parts += build() + [""]
        except Exception as exc:  # noqa: BLE001 - one broken section must not lose the others
            emit("intel", "intel_dashboard_section_failed", "warning", paths=paths, error=repr(exc)[:300])
            parts += [f"_section failed: {type(exc).__name__}: {str(exc)[:200]}_", ""]
    atomic_write_text(report, "\n".join(parts))
    return report, pngs


def run_intel_dashboard(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: the dashboard report and its charts."""
    started = time.monotonic()
    try:
        paths.ensure()
        report, pngs = build_dashboard(paths, day, job_now(options))
    except Exception as exc:  # noqa: BLE001 - contract 4.14: generation is always safe
        emit("intel", "intel_dashboard_failed", "error", paths=paths, day=day, error=repr(exc)[:500])
        return {"ok": False, "message": f"intel dashboard failed: {exc!r}"[:500], "artifacts": []}
    return {
        "ok": True,
        "message": f"dashboard with {len(pngs)} chart(s)",
        "artifacts": [str(report), *map(str, pngs)],
        "elapsed_s": round(time.monotonic() - started, 3),
    }
