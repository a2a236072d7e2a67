"""Exit intel job bodies (contract 4.18): pre/post-market exit outlooks, exit P&L, day summary.

Each body reads state and logs only (never the network, never an order) and writes one
state file or report atomically. Inputs that are missing make the output sparse and are
named in it; they never fail the job. The thin scripts and RQ plumbing call these bodies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from src.core.clock import clock_from_env
from src.core.events import emit
from src.core.jsonio import JsonlStats, atomic_write_text
from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state, save_state
from src.exit.exit_attribution import iso, iter_day_exits, missing_fields, parse_ts
from src.exit.exit_score_v2 import compute_exit_score, num
from src.exit.models import (
    EXIT_COMPONENTS,
    BucketPnl,
    ExitIntelPnlSummary,
    ExitIntelState,
    PositionExitOutlook,
    load_exit_config,
)
from src.exit.profit_targets_v2 import compute_profit_target
from src.exit.stops_v2 import compute_stop

SUBSYSTEM = "exit_intel"


def _now(options: Mapping[str, Any]) -> datetime:
    given = parse_ts(options.get("now"))
    return given if given is not None else clock_from_env().now()


def _fail(job: str, paths: Paths, day: str, exc: BaseException) -> dict[str, Any]:
    msg = f"{job} failed: {type(exc).__name__}: {exc}"[:500]
    emit(SUBSYSTEM, f"{job}_failed", "error", paths=paths, day=day, error=msg)
    return {"ok": False, "message": msg, "artifacts": []}


# ---------------------------------------------------------------- outlooks (pre/post market)


def position_outlooks(paths: Paths, now: datetime) -> tuple[list[PositionExitOutlook], dict[str, str], Any]:
    """Each open shadow position re-scored against today's intel: exit score, target, stop, flags."""
    from src.engine.scoring import load_strategy_config, score_symbol
    from src.intel.composite_v2 import compute_composite_v2, load_intel_inputs
    from src.shadow.state import ShadowState
    from src.shadow.step import build_view, daily_vol_pct
    from src.uw.flow_cache import FlowCache

    exit_cfg = load_exit_config()
    sources: dict[str, str] = {}
    st = inspect_state(paths.shadow_positions, ShadowState)
    sources["shadow_positions"] = st.status.value
    state = st.value if st.status is LoadStatus.ok and st.value is not None else ShadowState()
    inputs = load_intel_inputs(paths, now)
    for name, info in inputs.info.items():
        sources[name] = info.status
    cache_res = inspect_state(paths.uw_flow_cache, FlowCache)
    sources["uw_flow_cache"] = cache_res.status.value
    cache = cache_res.value if cache_res.status is LoadStatus.ok else None
    from src.intel.models import SymbolRiskFeaturesFile

    risk = inspect_state(paths.symbol_risk_features, SymbolRiskFeaturesFile)
    sources["symbol_risk_features"] = risk.status.value
    vols = {}
    if risk.status is LoadStatus.ok and risk.value is not None:
        vols = {s.upper(): daily_vol_pct(f.realized_vol.value) for s, f in risk.value.symbols.items()}
    v1_cfg = load_strategy_config()
    out: list[PositionExitOutlook] = []
    for sym, pos in sorted(state.positions.items()):
        record = (cache.symbols.get(sym) if cache else None) or {}
        v1 = score_symbol(sym, record, cache.market if cache else {}, v1_cfg, now.timestamp())
        v2 = compute_composite_v2(sym, v1, inputs, attribute=False)
        price = record.get("price") if record.get("price") is not None else pos.last_price
        view = build_view(sym, v2, v1.score, price, record, vols.get(sym))
        score = compute_exit_score(
            pos.side, pos.entry_snapshot, view["snapshot"], exit_cfg.score, thesis_flags=view.get("thesis_flags")
        )
        vol = view.get("vol_pct") if view.get("vol_pct") is not None else pos.entry_vol_pct
        regime = view.get("regime") or pos.entry_regime
        target = compute_profit_target(pos.entry_price, pos.side, vol, regime, exit_cfg)
        stop = compute_stop(pos.entry_price, pos.side, vol, regime, exit_cfg, water_mark=pos.water_mark)
        flags = [f for f, raised in sorted(score.thesis_flags.items()) if raised]
        if pos.entry_regime and view.get("regime") and pos.entry_regime != view.get("regime"):
            flags.append("regime_changed_since_entry")
        if score.score >= exit_cfg.exit_score_threshold:
            flags.append("exit_score_above_threshold")
        elif score.score >= exit_cfg.replacement.exit_score_threshold:
            flags.append("replacement_watch")
        out.append(
            PositionExitOutlook(
                symbol=sym,
                side=pos.side,
                entry_price=pos.entry_price,
                last_price=num(price),
                v2_exit_score=score.score,
                v2_exit_components=score.components,
                target_price=target.target_price,
                stop_price=stop.effective_price,
                target_source=target.source,
                stop_source=stop.source,
                missing=score.missing,
                flags=flags,
            )
        )
    return out, sources, inputs.regime


def _outlook_job(kind: str, day: str, paths: Paths, options: Mapping[str, Any]) -> dict[str, Any]:
    now = _now(options)
    positions, sources, regime = position_outlooks(paths, now)
    state = ExitIntelState(
        kind=kind,
        day=day,
        generated_at=iso(now),
        regime=getattr(regime, "regime", None),
        regime_confidence=num(getattr(regime, "confidence", None)),
        sources=sources,
        open_positions=len(positions),
        positions=positions,
    )
    if not positions:
        state.notes.append("no open shadow positions")
    state.notes += [f"input {k} is {v}" for k, v in sorted(sources.items()) if v != "ok"]
    if kind == "postmarket":
        state.day_exits = summarize_exits(iter_day_exits(paths, day)).model_dump(mode="json")
    target = paths.premarket_exit_intel if kind == "premarket" else paths.postmarket_exit_intel
    save_state(target, state)
    flagged = sum(1 for p in positions if "exit_score_above_threshold" in p.flags)
    return {
        "ok": True,
        "message": f"{kind} exit intel: {len(positions)} open position(s), {flagged} flagged for exit",
        "artifacts": [str(target)],
    }


def run_premarket_exit_intel(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        return _outlook_job("premarket", day, paths, options or {})
    except Exception as exc:  # noqa: BLE001 - a job reports failure, it never crashes the worker
        return _fail("premarket_exit_intel", paths, day, exc)


def run_postmarket_exit_intel(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        return _outlook_job("postmarket", day, paths, options or {})
    except Exception as exc:  # noqa: BLE001
        return _fail("postmarket_exit_intel", paths, day, exc)


# ---------------------------------------------------------------- exit P&L


def _bucket(rows: list[Mapping[str, Any]]) -> BucketPnl:
    pnls = [num(r.get("pnl")) for r in rows]
    pcts = [p for p in (num(r.get("pnl_pct")) for r in rows) if p is not None]
    known = [p for p in pnls if p is not None]
    wins = sum(1 for p in known if p > 0)
    return BucketPnl(
        exits=len(rows),
        wins=wins,
        losses=sum(1 for p in known if p < 0),
        pnl_usd=round(sum(known), 6),
        avg_pnl_pct=round(sum(pcts) / len(pcts), 6) if pcts else None,
        win_rate=round(wins / len(known), 6) if known else None,
    )


def _group(rows: list[Mapping[str, Any]], key: str) -> dict[str, BucketPnl]:
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[str(r.get(key) or "unknown")].append(r)
    return {k: _bucket(v) for k, v in sorted(groups.items())}


def summarize_exits(rows: Iterable[Mapping[str, Any]], skipped: int = 0) -> ExitIntelPnlSummary:
    """Pure: the day's exit attribution lines -> P&L by reason/side/regime/sector + completeness."""
    rows = list(rows)
    s = ExitIntelPnlSummary(exits_total=len(rows), skipped_lines=skipped, sparse=len(rows) == 0)
    s.overall = _bucket(rows)
    s.pnl_usd_total = s.overall.pnl_usd
    s.by_exit_reason = _group(rows, "exit_reason")
    s.by_side = _group(rows, "side")
    s.by_exit_regime = _group(rows, "exit_regime")
    s.by_exit_sector = _group(rows, "exit_sector_profile")
    s.replacements = sum(1 for r in rows if r.get("exit_reason") == "replacement")
    for comp in EXIT_COMPONENTS:
        wins, losses = [], []
        for r in rows:
            comps = r.get("v2_exit_components") if isinstance(r.get("v2_exit_components"), Mapping) else {}
            v, p = num(comps.get(comp)), num(r.get("pnl"))
            if v is not None and p is not None:
                (wins if p > 0 else losses).append(v)
        s.component_means[comp] = {
            "winners": round(sum(wins) / len(wins), 6) if wins else None,
            "losers": round(sum(losses) / len(losses), 6) if losses else None,
        }
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        for f in missing_fields(r):  # recomputed: a foreign or older line may lack the list
            counts[str(f)] += 1
    s.missing_field_counts = dict(sorted(counts.items()))
    return s


def _fmt(v: Any, nd: int = 2) -> str:
    f = num(v)
    return "n/a" if f is None else f"{f:,.{nd}f}"


def _bucket_table(title: str, buckets: Mapping[str, BucketPnl]) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| key | exits | wins | losses | P&L USD | avg P&L % | win rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, b in buckets.items():
        lines.append(
            f"| {k} | {b.exits} | {b.wins} | {b.losses} | {_fmt(b.pnl_usd)} | {_fmt(b.avg_pnl_pct, 3)} | "
            f"{_fmt(b.win_rate, 3)} |"
        )
    if not buckets:
        lines.append("| (none) | 0 | 0 | 0 | 0.00 | n/a | n/a |")
    return lines + [""]


def render_pnl_report(s: ExitIntelPnlSummary) -> str:
    lines = [
        f"# Exit Intelligence P&L (v2 shadow) - {s.day}",
        "",
        f"Generated: {s.generated_at}",
        "",
        "Shadow-only: these exits were simulated by the v2 shadow trader; no order was placed.",
        "",
    ]
    if s.sparse:
        lines += ["**Sparse:** no shadow exits were attributed on this day.", ""]
    o = s.overall
    lines += [
        "## Overall",
        "",
        f"- Exits: {s.exits_total} (replacements: {s.replacements})",
        f"- Realized P&L: {_fmt(s.pnl_usd_total)} USD",
        f"- Win rate: {_fmt(o.win_rate, 3)}",
        f"- Average P&L %: {_fmt(o.avg_pnl_pct, 3)}",
        f"- Unreadable log lines skipped: {s.skipped_lines}",
        "",
    ]
    lines += ["## Breakdown", ""]
    lines += _bucket_table("By exit reason", s.by_exit_reason)
    lines += _bucket_table("By side", s.by_side)
    lines += _bucket_table("By exit regime", s.by_exit_regime)
    lines += _bucket_table("By exit sector", s.by_exit_sector)
    lines += ["## Exit score components (mean at exit)", "", "| component | winners | losers |", "|---|---|---|"]
    for comp, m in s.component_means.items():
        lines.append(f"| {comp} | {_fmt(m.get('winners'), 3)} | {_fmt(m.get('losers'), 3)} |")
    lines += ["", "## Completeness (contract 4.20.3)", ""]
    if s.missing_field_counts:
        lines += [f"- `{k}` missing in {v} exit(s)" for k, v in s.missing_field_counts.items()]
    else:
        lines.append("- every required field present" if s.exits_total else "- no exits to check")
    return "\n".join(lines) + "\n"


def run_exit_intel_pnl(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        now = _now(options or {})
        stats = JsonlStats()
        rows = list(iter_day_exits(paths, day, stats))
        s = summarize_exits(rows, stats.skipped)
        s.day, s.generated_at = day, iso(now)
        save_state(paths.exit_intel_pnl_summary, s)
        report = paths.report("EXIT_INTEL_PNL", day)
        atomic_write_text(report, render_pnl_report(s))
        return {
            "ok": True,
            "message": f"exit intel P&L {day}: {s.exits_total} exit(s), {_fmt(s.pnl_usd_total)} USD",
            "artifacts": [str(paths.exit_intel_pnl_summary), str(report)],
        }
    except Exception as exc:  # noqa: BLE001
        return _fail("exit_intel_pnl", paths, day, exc)


# ---------------------------------------------------------------- day summary


def render_day_summary(
    day: str, now: datetime, rows: list[Mapping[str, Any]], open_positions: Mapping[str, Any], skipped: int
) -> str:
    s = summarize_exits(rows, skipped)
    lines = [
        f"# Exit Day Summary (v2 shadow) - {day}",
        "",
        f"Generated: {iso(now)}",
        "",
        f"- Shadow exits: {s.exits_total} (replacements: {s.replacements}); realized P&L "
        f"{_fmt(s.pnl_usd_total)} USD; win rate {_fmt(s.overall.win_rate, 3)}",
        f"- Open shadow positions at generation: {len(open_positions)}",
        "",
    ]
    lines += [
        "## Exits",
        "",
        "| exit time (UTC) | symbol | side | reason | qty | entry | exit | P&L USD | P&L % | "
        "minutes | exit score | regime (entry->exit) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: str(r.get("exit_ts") or r.get("ts") or "")):
        lines.append(
            f"| {r.get('exit_ts') or r.get('ts')} | {r.get('symbol')} | {r.get('side')} | {r.get('exit_reason')} | "
            f"{_fmt(r.get('qty'), 0)} | {_fmt(r.get('entry_price'))} | {_fmt(r.get('exit_price'))} | {_fmt(r.get('pnl'))} | "
            f"{_fmt(r.get('pnl_pct'), 3)} | {_fmt(r.get('time_in_trade_minutes'), 1)} | {_fmt(r.get('v2_exit_score'), 3)} | "
            f"{r.get('entry_regime') or 'n/a'}->{r.get('exit_regime') or 'n/a'} |"
        )
    if not rows:
        lines.append("| (no shadow exits on this day) |  |  |  |  |  |  |  |  |  |  |  |")
    reps = [r for r in rows if r.get("exit_reason") == "replacement"]
    lines += ["", "## Replacements", ""]
    for r in reps:
        why = (
            (r.get("replacement_reasoning") or {}).get("why")
            if isinstance(r.get("replacement_reasoning"), Mapping)
            else None
        )
        lines.append(
            f"- {r.get('symbol')} -> {r.get('replacement_candidate') or 'n/a'}: {why or 'no reasoning recorded'}"
        )
    if not reps:
        lines.append("- none")
    lines += (
        ["", "## Exit reasons", ""]
        + [f"- {k}: {b.exits} exit(s), {_fmt(b.pnl_usd)} USD" for k, b in s.by_exit_reason.items()]
        + (["- none"] if not rows else [])
    )
    lines += ["", "## Open positions", ""]
    for sym, p in sorted(open_positions.items()):
        lines.append(
            f"- {sym} {getattr(p, 'side', '')} x{_fmt(getattr(p, 'qty', None), 0)} @ "
            f"{_fmt(getattr(p, 'entry_price', None))} since {getattr(p, 'entry_ts', '')}, "
            f"last exit score {_fmt(getattr(p, 'last_exit_score', None), 3)}"
        )
    if not open_positions:
        lines.append("- none")
    lines += ["", "## Attribution completeness (contract 4.20.3)", ""]
    lines += [f"- `{k}` missing in {v} exit(s)" for k, v in s.missing_field_counts.items()] or [
        "- every required field present" if rows else "- no exits to check"
    ]
    if skipped:
        lines.append(f"- {skipped} unreadable line(s) skipped in logs/exit_attribution.jsonl")
    return "\n".join(lines) + "\n"


def run_exit_day_summary(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        from src.shadow.state import ShadowState

        now = _now(options or {})
        stats = JsonlStats()
        rows = list(iter_day_exits(paths, day, stats))
        st = inspect_state(paths.shadow_positions, ShadowState)
        positions = st.value.positions if st.status is LoadStatus.ok and st.value is not None else {}
        report = paths.report("EXIT_DAY_SUMMARY", day)
        atomic_write_text(report, render_day_summary(day, now, rows, positions, stats.skipped))
        return {"ok": True, "message": f"exit day summary {day}: {len(rows)} exit(s)", "artifacts": [str(report)]}
    except Exception as exc:  # noqa: BLE001
        return _fail("exit_day_summary", paths, day, exc)
