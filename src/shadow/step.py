"""The engine hook: `shadow_step(ctx)` runs the v2 shadow trader as the last engine step.

It reads only what v1 already has in hand (the broker quotes v1 fetched this cycle, else the
cache prices v1 scored with, v1's scores, the flow cache)
plus the v2 state files, so it adds file reads and arithmetic to the cycle, nothing else.
It runs inside `shadow_context()` (the broker refuses orders there), catches its own
failures (one event, never an exception into v1, never a change to v1's counters), and
writes only shadow files: the journal, the positions state, exit attribution, master log.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from src.core.errors import ConfigError
from src.core.events import emit
from src.core.jsonio import append_jsonl
from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state
from src.exit.exit_score_v2 import num
from src.exit.models import EXIT_CONFIG_PATH, ExitV2Config, load_exit_config
from src.shadow.config import SHADOW_CONFIG_PATH, ShadowV2Config, load_shadow_config
from src.shadow.guard import shadow_context
from src.shadow.state import (
    ShadowState,
    load_shadow_state,
    recover_from_journal,
    save_shadow_state,
    write_exit_records,
)
from src.shadow.trader import decide_cycle

SUBSYSTEM = "shadow"
RUNTIME_KEY = "shadow_runtime"


@dataclass
class ShadowRuntime:
    """What one engine process keeps between shadow cycles (configs by mtime, recovery done)."""

    recovered: bool = False
    config_stamp: tuple[Any, ...] | None = None
    cfg: ShadowV2Config | None = None
    exit_cfg: ExitV2Config | None = None
    config_error: str | None = None
    risk_stamp: Any = None
    risk_vol: dict[str, float] = field(default_factory=dict)
    v1_cfg: Any = None
    last_ms: float = 0.0


def _stamp(*files: Path) -> tuple[Any, ...]:
    out: list[Any] = []
    for f in files:
        try:
            st = os.stat(f)
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


def runtime_for(ctx: Any) -> ShadowRuntime:
    holder = ctx.extras.get("engine") if isinstance(ctx.extras.get("engine"), dict) else ctx.extras
    rt = holder.get(RUNTIME_KEY)
    if not isinstance(rt, ShadowRuntime):
        rt = ShadowRuntime()
        holder[RUNTIME_KEY] = rt
    return rt


def refresh_configs(rt: ShadowRuntime, paths: Paths) -> bool:
    """Reload both configs when their files change; False (and one event per change) when invalid."""
    stamp = _stamp(SHADOW_CONFIG_PATH, EXIT_CONFIG_PATH)
    if stamp == rt.config_stamp:
        return rt.config_error is None
    rt.config_stamp = stamp
    try:
        rt.cfg, rt.exit_cfg, rt.config_error = load_shadow_config(), load_exit_config(), None
    except ConfigError as err:
        rt.cfg = rt.exit_cfg = None
        rt.config_error = str(err)
        emit(SUBSYSTEM, "shadow_config_invalid", "error", paths=paths, error=str(err))
    return rt.config_error is None


def daily_vol_pct(value: Any) -> float | None:
    """UW realized volatility (annualized; a fraction like 0.32, or a percent like 32) -> daily %."""
    v = num(value)
    if v is None or v <= 0:
        return None
    annual_pct = v * 100.0 if v < 3.0 else v
    return round(annual_pct / math.sqrt(252.0), 6)


def refresh_risk(rt: ShadowRuntime, paths: Paths) -> None:
    stamp = _stamp(paths.symbol_risk_features)
    if stamp == rt.risk_stamp:
        return
    rt.risk_stamp = stamp
    from src.intel.models import SymbolRiskFeaturesFile

    res = inspect_state(paths.symbol_risk_features, SymbolRiskFeaturesFile)
    rt.risk_vol = {}
    if res.status is LoadStatus.ok and res.value is not None:
        for sym, f in res.value.symbols.items():
            vol = daily_vol_pct(f.realized_vol.value)
            if vol is not None:
                rt.risk_vol[sym.upper()] = vol


def _sub(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    v = record.get(key)
    return v if isinstance(v, Mapping) else {}


def build_view(
    symbol: str, v2: Mapping[str, Any], v1_score: Any, price: Any, record: Mapping[str, Any], vol_pct: float | None
) -> dict[str, Any]:
    """One symbol's view for the trader, from the composite v2 output and the cache record."""
    meta = v2.get("v2_metadata") if isinstance(v2.get("v2_metadata"), Mapping) else {}
    mults = v2.get("multipliers") if isinstance(v2.get("multipliers"), Mapping) else {}
    flow, dp = _sub(record, "flow"), _sub(record, "dark_pool")
    net = num(flow.get("net_premium"))
    if net is None and (num(flow.get("call_premium")) is not None or num(flow.get("put_premium")) is not None):
        net = (num(flow.get("call_premium")) or 0.0) - (num(flow.get("put_premium")) or 0.0)
    adj = v2.get("uw_adjustments") if isinstance(v2.get("uw_adjustments"), Mapping) else {}
    inputs = meta.get("inputs") if isinstance(meta.get("inputs"), Mapping) else {}
    snapshot = {
        "v2_score": num(v2.get("score")),
        "direction": v2.get("direction"),
        "regime": meta.get("regime"),
        "regime_confidence": num(meta.get("regime_confidence")),
        "sector": meta.get("sector"),
        "sector_multiplier": num(mults.get("sector")),
        "vol_pct": vol_pct,
        "flow_net_premium": net,
        "darkpool_notional": num(dp.get("total_notional")),
        "sentiment": flow.get("sentiment", record.get("sentiment")),
    }
    return {
        "symbol": symbol,
        "price": num(price),
        "v2_score": snapshot["v2_score"],
        "v1_score": num(v1_score),
        "direction": v2.get("direction"),
        "components": dict(v2.get("components") or {}),
        "uw_adjustments": dict(adj),
        "regime": snapshot["regime"],
        "regime_confidence": snapshot["regime_confidence"],
        "sector": snapshot["sector"],
        "sector_multiplier": snapshot["sector_multiplier"],
        "vol_pct": vol_pct,
        "snapshot": snapshot,
        "thesis_flags": {"earnings_soon": (num(adj.get("earnings")) or 0.0) < 0},
        "inputs": {
            "intel": {k: (v.get("status") if isinstance(v, Mapping) else v) for k, v in inputs.items()},
            "flags": list(meta.get("flags") or []),
            "multipliers": dict(mults),
        },
    }


def _v1_score(v1: Any) -> float | None:
    if isinstance(v1, Mapping):
        return num(v1.get("score"))
    return num(getattr(v1, "score", None))


def candidate_symbols(
    inputs: Any, cache_symbols: Mapping[str, Any], quotes: Mapping[str, Any], held: list[str], limit: int
) -> list[str]:
    """Universe (v2, else v1) order, limited to symbols with data, plus every held symbol."""
    universe = [str(e.symbol).upper() for e in getattr(getattr(inputs, "universe", None), "symbols", None) or []]
    if not universe:
        universe = sorted(set(cache_symbols) | set(quotes))
    have = set(cache_symbols) | set(quotes)
    out = [s for s in universe if s in have][:limit]
    return out + [s for s in held if s not in out]


def build_views(ctx: Any, rt: ShadowRuntime, state: ShadowState, cfg: ShadowV2Config) -> dict[str, dict[str, Any]]:
    from src.intel.composite_v2 import load_intel_inputs

    inputs = load_intel_inputs(ctx.paths, ctx.now)
    cache = ctx.cache
    records: Mapping[str, Any] = cache.symbols if cache is not None else {}
    market = cache.market if cache is not None else {}
    quotes = dict(ctx.extras.get("quotes") or {}) if isinstance(ctx.extras.get("quotes"), Mapping) else {}
    # the broker prices v1 fetched this cycle (its V1Cycle.quotes), read by duck type: no engine import
    broker_quotes = getattr(ctx.extras.get("v1"), "quotes", None)
    if isinstance(broker_quotes, Mapping):
        quotes.update({str(k): v for k, v in broker_quotes.items() if (num(v) or 0) > 0})
    v1_scores = ctx.extras.get("v1_scores") if isinstance(ctx.extras.get("v1_scores"), Mapping) else {}
    refresh_risk(rt, ctx.paths)
    views: dict[str, dict[str, Any]] = {}
    from src.intel.composite_v2 import compute_composite_v2

    for sym in candidate_symbols(inputs, records, quotes, list(state.positions), cfg.max_candidates):
        record = records.get(sym) if isinstance(records.get(sym), Mapping) else {}
        v1 = v1_scores.get(sym)
        if v1 is None:
            v1 = _score_v1(rt, sym, record, market, ctx.now.timestamp())
        v2 = compute_composite_v2(sym, v1, inputs, attribute=False)
        price = quotes.get(sym) if quotes.get(sym) is not None else record.get("price")
        views[sym] = build_view(sym, v2, _v1_score(v1), price, record, rt.risk_vol.get(sym))
        views[sym]["_v2"] = v2
    return views


def _score_v1(rt: ShadowRuntime, sym: str, record: Mapping[str, Any], market: Any, now: float) -> Any:
    """v1's score when the v1 step did not publish one (it is pure; it places nothing)."""
    from src.engine.scoring import load_strategy_config, score_symbol

    if rt.v1_cfg is None:
        rt.v1_cfg = load_strategy_config()
    return score_symbol(sym, record, market, rt.v1_cfg, now)


def _attribute(paths: Paths, views: Mapping[str, Mapping[str, Any]], rows: list[dict[str, Any]]) -> None:
    """uw_attribution lines (contract 4.10) for the symbols a decision was taken on."""
    from src.intel.attribution import append_attribution, attribution_record

    taken = {r["symbol"] for r in rows if r.get("action") in ("entry", "exit", "replacement")}
    recs = []
    for sym in sorted(taken):
        v2 = (views.get(sym) or {}).get("_v2")
        if isinstance(v2, Mapping):
            recs.append(attribution_record(v2, (v2.get("v2_metadata") or {}).get("v1_score", 0.0)))
    if recs:
        append_attribution(paths, recs)


def run_shadow_cycle(ctx: Any) -> dict[str, Any]:
    """One shadow cycle; returns a summary. Raises only on bugs (the caller contains them)."""
    rt = runtime_for(ctx)
    if not refresh_configs(rt, ctx.paths) or rt.cfg is None or rt.exit_cfg is None:
        return {"skipped": "config_invalid"}
    cfg, exit_cfg = rt.cfg, rt.exit_cfg
    if not cfg.enabled:
        return {"skipped": "disabled"}
    if cfg.only_market_hours and not getattr(ctx, "market_open", True):
        return {"skipped": "market_closed"}
    paths = ctx.paths
    state = load_shadow_state(paths)
    if not rt.recovered:
        recover_from_journal(paths, state, cfg.cooldown_minutes)
        rt.recovered = True
    views = build_views(ctx, rt, state, cfg)
    new_state, rows = decide_cycle(state, views, ctx.now, cfg, exit_cfg, cycle=int(getattr(ctx, "cycle", 0)))
    for row in rows:  # 1. the journal first (see state.py for why)
        append_jsonl(paths.shadow_trades_log, row)
    write_exit_records(paths, rows)  # 2. what the exits owe
    save_shadow_state(paths, new_state)  # 3. the positions, atomically, last: until then recovery replays
    _attribute(paths, views, rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["action"]] = counts.get(r["action"], 0) + 1
    return {"decisions": counts, "open_positions": len(new_state.positions), "scored": len(views)}


def shadow_step(ctx: Any) -> None:
    """Engine step (last in the cycle). Never raises, never orders, never touches v1 counters."""
    if not getattr(ctx.settings, "shadow_enabled", True):
        return
    started = time.perf_counter()
    summary: dict[str, Any]
    with shadow_context():
        try:
            summary = run_shadow_cycle(ctx)
        except Exception as exc:  # noqa: BLE001 - shadow must never degrade or stop v1
            summary = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            emit(
                SUBSYSTEM,
                "shadow_cycle_failed",
                "error",
                paths=ctx.paths,
                cycle=getattr(ctx, "cycle", None),
                error=summary["error"],
            )
    summary["duration_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
    ctx.extras["shadow"] = summary
