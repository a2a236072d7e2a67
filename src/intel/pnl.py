"""Daily intel P&L (contract 4.10): did the UW adjustments point the right way?

Joins the day's closed trades (v1 `logs/exits.jsonl`, shadow `logs/shadow.jsonl` and the shadow
journal's exit rows) with the attribution line written when each position was entered, and
per intel component counts trades, P&L and whether the adjustment's sign agreed with the
outcome. Best-effort: missing logs give a sparse summary that says which were missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.core.clock import NY
from src.core.events import emit
from src.core.jsonio import JsonlStats, atomic_write_text, iter_jsonl
from src.core.paths import Paths
from src.core.state import save_state
from src.intel.models import ComponentPnl, UwIntelPnlSummary
from src.intel.values import iso, job_now, num, parse_ts

EXIT_ACTIONS = ("exit", "replacement", "close", "closed")
MATCH_TOLERANCE_S = 120.0


@dataclass
class ClosedTrade:
    source: str
    symbol: str
    side: str
    pnl: float
    pnl_pct: float | None
    exit_ts: datetime | None
    entry_ts: datetime | None
    adjustments: dict[str, float] = field(default_factory=dict)
    sector: str = "UNKNOWN"
    regime: str = "unknown"
    attributed: bool = False


def _day_of(ts: datetime | None) -> str | None:
    return ts.astimezone(NY).date().isoformat() if ts else None


def parse_exit(row: dict[str, Any], source: str) -> ClosedTrade | None:
    """One closed trade from a v1 exit line or a shadow journal exit row; None if not one."""
    action = str(row.get("action") or row.get("event") or "exit").lower()
    if action not in EXIT_ACTIONS:
        return None
    sym = row.get("symbol")
    pnl = next(
        (
            num(row.get(k))
            for k in ("realized_pnl_usd", "pnl_usd", "pnl", "realized_pnl")
            if num(row.get(k)) is not None
        ),
        None,
    )
    if not isinstance(sym, str) or not sym or pnl is None:
        return None
    adj = row.get("uw_adjustments")
    return ClosedTrade(
        source=source,
        symbol=sym.upper(),
        side=str(row.get("side") or "long").lower(),
        pnl=pnl,
        pnl_pct=num(row.get("pnl_pct")),
        exit_ts=parse_ts(row.get("exit_ts") or row.get("ts")),
        entry_ts=parse_ts(row.get("entry_ts")),
        adjustments={k: float(v) for k, v in (adj or {}).items() if num(v) is not None}
        if isinstance(adj, dict)
        else {},
        sector=str(row.get("sector") or "UNKNOWN"),
        regime=str(row.get("regime") or "unknown"),
    )


def match_attribution(trade: ClosedTrade, by_symbol: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The attribution line in force when the trade was entered (else the last before its exit)."""
    anchor = trade.entry_ts or trade.exit_ts
    if anchor is None:
        return None
    best = None
    for rec in by_symbol.get(trade.symbol, []):
        ts = parse_ts(rec.get("ts"))
        if ts is None or (ts - anchor).total_seconds() > MATCH_TOLERANCE_S:
            continue
        if best is None or ts > parse_ts(best.get("ts")):  # type: ignore[operator]
            best = rec
    return best


def _add(bucket: ComponentPnl, trade: ClosedTrade, adj: float | None) -> None:
    bucket.trades += 1
    bucket.wins += 1 if trade.pnl > 0 else 0
    bucket.pnl_usd = round(bucket.pnl_usd + trade.pnl, 6)
    bucket.pnl_pct_sum = round(bucket.pnl_pct_sum + (trade.pnl_pct or 0.0), 6)
    if adj is not None:
        bucket.avg_adjustment = round(bucket.avg_adjustment + (adj - bucket.avg_adjustment) / bucket.trades, 6)
        if adj != 0 and trade.pnl != 0:
            if (adj > 0) == (trade.pnl > 0):
                bucket.helped += 1
            else:
                bucket.hurt += 1


def summarize(trades: Iterable[ClosedTrade], day: str, now: datetime, sources: dict[str, str]) -> UwIntelPnlSummary:
    """Pure: the summary from already-matched trades."""
    s = UwIntelPnlSummary(day=day, generated_at=iso(now), sources=sources)
    for t in trades:
        s.trades_total += 1
        s.pnl_usd_total = round(s.pnl_usd_total + t.pnl, 6)
        if t.adjustments:
            s.trades_attributed += 1 if t.attributed else 0
            for comp, adj in t.adjustments.items():
                _add(s.by_component.setdefault(comp, ComponentPnl()), t, adj)
        _add(
            s.by_sector.setdefault(t.sector, ComponentPnl()), t, sum(t.adjustments.values()) if t.adjustments else None
        )
        _add(
            s.by_regime.setdefault(t.regime, ComponentPnl()), t, sum(t.adjustments.values()) if t.adjustments else None
        )
    s.sparse = s.trades_total == 0 or not s.by_component
    if s.trades_total == 0:
        s.notes.append("no closed trades for the day in the exit logs")
    missing = [n for n, st in sources.items() if st != "ok"]
    if missing:
        s.notes.append("sources unavailable or empty: " + ", ".join(missing))
    return s


def collect(paths: Paths, day: str) -> tuple[list[ClosedTrade], dict[str, str], int]:
    sources: dict[str, str] = {}
    trades: list[ClosedTrade] = []
    skipped = 0
    for name, path, source in (
        ("exits", paths.exits_log, "v1"),
        ("shadow", paths.shadow_log, "shadow"),
        ("shadow_trades", paths.shadow_trades_log, "shadow"),
    ):
        if not path.exists():
            sources[name] = "missing"
            continue
        stats = JsonlStats()
        found = 0
        for row in iter_jsonl(path, stats):
            t = parse_exit(row, source)
            if t is not None and _day_of(t.exit_ts) == day:
                trades.append(t)
                found += 1
        skipped += stats.skipped
        sources[name] = "ok" if found else "empty"
    by_symbol: dict[str, list[dict[str, Any]]] = {}
    if paths.uw_attribution_log.exists():
        for rec in iter_jsonl(paths.uw_attribution_log):
            sym = rec.get("symbol")
            if isinstance(sym, str):
                by_symbol.setdefault(sym.upper(), []).append(rec)
        sources["uw_attribution"] = "ok" if by_symbol else "empty"
    else:
        sources["uw_attribution"] = "missing"
    for t in trades:
        rec = match_attribution(t, by_symbol)
        if rec is not None:
            adj = rec.get("uw_adjustments") or {}
            t.adjustments = {k: float(v) for k, v in adj.items() if num(v) is not None}
            t.sector = str(rec.get("sector") or t.sector)
            t.regime = str(rec.get("regime") or t.regime)
            t.attributed = True
    return trades, sources, skipped


def render(s: UwIntelPnlSummary) -> str:
    lines = [
        f"# UW Intel P&L {s.day}",
        "",
        f"Generated {s.generated_at}. Shadow/v2 analysis only; v1 trading is not affected.",
        "",
        f"- Closed trades: {s.trades_total} (attributed to intel: {s.trades_attributed})",
        f"- Total P&L: ${s.pnl_usd_total:,.2f}",
        f"- Sparse: {'yes' if s.sparse else 'no'}",
        "- Sources: " + ", ".join(f"{k}={v}" for k, v in sorted(s.sources.items())),
        "",
    ]
    for note in s.notes:
        lines.append(f"> {note}")
    for title, table in (
        ("By intel component", s.by_component),
        ("By sector", s.by_sector),
        ("By regime", s.by_regime),
    ):
        lines += ["", f"## {title}", ""]
        if not table:
            lines.append("_no data_")
            continue
        lines += ["| name | trades | wins | P&L $ | avg adj | helped | hurt |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, b in sorted(table.items(), key=lambda kv: -abs(kv[1].pnl_usd)):
            lines.append(
                f"| {name} | {b.trades} | {b.wins} | {b.pnl_usd:,.2f} | {b.avg_adjustment:+.3f} | {b.helped} | {b.hurt} |"
            )
    return "\n".join(lines) + "\n"


def run_intel_pnl(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: reports/UW_INTEL_PNL_<day>.md and state/uw_intel_pnl_summary.json."""
    started = time.monotonic()
    try:
        paths.ensure()
        trades, sources, skipped = collect(paths, day)
        summary = summarize(trades, day, job_now(options), sources)
        if skipped:
            summary.notes.append(f"{skipped} unreadable log line(s) skipped")
        save_state(paths.uw_intel_pnl_summary, summary)
        report = paths.report("UW_INTEL_PNL", day)
        atomic_write_text(report, render(summary))
    except Exception as exc:  # noqa: BLE001 - P&L is best-effort by contract
        emit("intel", "intel_pnl_failed", "error", paths=paths, day=day, error=repr(exc)[:500])
        return {"ok": False, "message": f"intel pnl failed: {exc!r}"[:500], "artifacts": []}
    return {
        "ok": True,
        "message": f"{summary.trades_total} trades, {summary.trades_attributed} attributed"
        + (" (sparse)" if summary.sparse else ""),
        "artifacts": [str(paths.uw_intel_pnl_summary), str(report)],
        "sparse": summary.sparse,
        "elapsed_s": round(time.monotonic() - started, 3),
    }
