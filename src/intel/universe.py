"""Core and daily universe (contract 4.6) and the universe job body.

The core list is configuration (config/core_universe.json), validated and written to
state/core_universe.json with no network. The daily universe ranks the market by UW options
activity (one /api/screener/stocks call), filters for liquidity and keeps the top N with the
reason each name is in. Together they bound every symbol-level UW call of the day, so the
daily file is written before any per-symbol call (risk features) is made.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from src.core.events import emit
from src.core.paths import REPO_ROOT, Paths
from src.core.state import LoadStatus, inspect_state, load_state, save_state
from src.intel.fetch import IntelFetcher, make_client
from src.intel.models import CoreUniverseConfig
from src.intel.values import iso, job_now, num, rows
from src.uw.universe import UniverseEntry, UniverseFile

CORE_CONFIG_PATH = REPO_ROOT / "config" / "core_universe.json"
SCREENER = "/api/screener/stocks"
_SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")


def load_core_config(path: Path | None = None, paths: Paths | None = None) -> CoreUniverseConfig:
    p = path or CORE_CONFIG_PATH
    res = inspect_state(p, CoreUniverseConfig)
    if res.status is LoadStatus.ok and res.value is not None:
        return res.value
    emit(
        "intel",
        "core_universe_config_unusable",
        "error",
        paths=paths,
        file=str(p),
        status=res.status.value,
        reason=res.error,
    )
    return CoreUniverseConfig()


def validate_symbols(raw: list[Any]) -> tuple[list[str], list[str]]:
    """(valid unique upper-case symbols in order, rejected inputs as text)."""
    seen: set[str] = set()
    good: list[str] = []
    bad: list[str] = []
    for item in raw:
        sym = str(item).strip().upper() if isinstance(item, str) else ""
        if not _SYMBOL_RE.match(sym):
            bad.append(str(item)[:20])
            continue
        if sym not in seen:
            seen.add(sym)
            good.append(sym)
    return good, bad


def build_core(cfg: CoreUniverseConfig, now: datetime, day: str) -> tuple[UniverseFile, list[str]]:
    good, bad = validate_symbols(list(cfg.core_symbols))
    entries = [
        UniverseEntry(symbol=s, rank=i + 1, reason="core: configured in config/core_universe.json", score=1.0)
        for i, s in enumerate(good)
    ]
    return UniverseFile(
        as_of=day, generated_at=now.timestamp(), generated_at_iso=iso(now), symbols=entries, source="config"
    ), bad


def _premium(row: dict[str, Any]) -> float:
    total = num(row.get("premium"))
    if total is None:
        total = (num(row.get("call_premium")) or 0.0) + (num(row.get("put_premium")) or 0.0)
    return total


def _option_volume(row: dict[str, Any]) -> float:
    return (num(row.get("call_volume")) or 0.0) + (num(row.get("put_volume")) or 0.0)


def rank_daily(
    screener_rows: list[dict[str, Any]], cfg: CoreUniverseConfig
) -> tuple[list[UniverseEntry], dict[str, int]]:
    """Filter screener rows for liquidity and rank by options premium; pure.

    Filters are re-applied here because the screener's own filters are advisory for us:
    a row that slips through must still not enter the universe.
    """
    dropped = {"invalid_symbol": 0, "index": 0, "price": 0, "option_volume": 0, "marketcap": 0, "duplicate": 0}
    seen: set[str] = set()
    candidates: list[tuple[float, str, dict[str, Any]]] = []
    for row in screener_rows:
        sym = str(row.get("ticker") or "").strip().upper()
        if not _SYMBOL_RE.match(sym):
            dropped["invalid_symbol"] += 1
            continue
        if sym in seen:
            dropped["duplicate"] += 1
            continue
        if row.get("is_index") is True:
            dropped["index"] += 1
            continue
        price = num(row.get("close")) or num(row.get("prev_close"))
        if price is None or price < cfg.min_underlying_price:
            dropped["price"] += 1
            continue
        if _option_volume(row) < cfg.min_option_volume:
            dropped["option_volume"] += 1
            continue
        mcap = num(row.get("marketcap"))
        if mcap is not None and mcap < cfg.min_marketcap:
            dropped["marketcap"] += 1
            continue
        seen.add(sym)
        candidates.append((_premium(row), sym, row))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    top = candidates[: max(0, cfg.daily_max_symbols)]
    best = top[0][0] if top and top[0][0] > 0 else 1.0
    entries = []
    for i, (prem, sym, row) in enumerate(top):
        vol = _option_volume(row)
        entries.append(
            UniverseEntry(
                symbol=sym,
                rank=i + 1,
                score=round(prem / best, 6),
                reason=f"options activity rank {i + 1}: premium ${prem:,.0f}, option volume {vol:,.0f}",
                premium=prem,
                option_volume=vol,
                price=num(row.get("close")),
                sector=row.get("sector"),
                iv_rank=num(row.get("iv_rank")),
                marketcap=num(row.get("marketcap")),
            )
        )
    return entries, dropped


def screener_params(cfg: CoreUniverseConfig) -> dict[str, Any]:
    return {
        "order": cfg.rank_by,
        "order_direction": "desc",
        "min_underlying_price": str(cfg.min_underlying_price),
        "min_volume": str(cfg.min_option_volume),
        "min_marketcap": str(int(cfg.min_marketcap)),
    }


def build_daily(fetcher: IntelFetcher, cfg: CoreUniverseConfig, paths: Paths, now: datetime, day: str) -> UniverseFile:
    """Daily universe from the screener; on failure keep the previous list, marked as a fallback."""
    got = fetcher.get(SCREENER, screener_params(cfg))
    if got is not None:
        entries, dropped = rank_daily(rows(got.data), cfg)
        return UniverseFile(
            as_of=day,
            generated_at=now.timestamp(),
            generated_at_iso=iso(now),
            symbols=entries,
            source=SCREENER,
            dropped=dropped,
            stale_source=got.stale,
            partial=False,
        )
    previous = load_state(paths.daily_universe, UniverseFile, subsystem="intel", paths=paths)
    emit(
        "intel",
        "daily_universe_degraded",
        "warning",
        paths=paths,
        day=day,
        reason=fetcher.degraded_reason or "screener call failed",
        kept_previous=len(previous.symbols),
    )
    return UniverseFile(
        as_of=day,
        generated_at=now.timestamp(),
        generated_at_iso=iso(now),
        symbols=list(previous.symbols),
        source="previous_daily_universe",
        fallback_from=previous.as_of,
        partial=True,
    )


def run_build_universe(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: core + daily universe, then symbol risk features and universe v2 (shadow)."""
    from src.intel.risk_features import build_risk_features
    from src.intel.universe_v2 import build_universe_v2

    started = time.monotonic()
    paths.ensure()
    now = job_now(options)
    artifacts: list[str] = []
    try:
        cfg = load_core_config(paths=paths)
        if options.get("daily_max_symbols") is not None:  # a smaller run (tests, tight budgets)
            cfg = cfg.model_copy(update={"daily_max_symbols": int(options["daily_max_symbols"])})
        core, rejected = build_core(cfg, now, day)
        if rejected:
            emit("intel", "core_universe_symbols_rejected", "warning", paths=paths, rejected=rejected)
        save_state(paths.core_universe, core)
        artifacts.append(str(paths.core_universe))

        client = options.get("client") or make_client(settings, paths)
        fetcher = IntelFetcher(client, paths, "build_universe", max_calls=options.get("max_calls"))
        daily = build_daily(fetcher, cfg, paths, now, day)
        save_state(paths.daily_universe, daily)
        artifacts.append(str(paths.daily_universe))

        symbols = [e.symbol for e in core.symbols] + [
            e.symbol for e in daily.symbols if e.symbol not in {c.symbol for c in core.symbols}
        ]
        features = build_risk_features(
            fetcher, symbols, daily, now, paths, per_symbol=options.get("risk_per_symbol", True)
        )
        save_state(paths.symbol_risk_features, features)
        artifacts.append(str(paths.symbol_risk_features))

        v2 = build_universe_v2(paths, now, day)
        save_state(paths.daily_universe_v2, v2)
        artifacts.append(str(paths.daily_universe_v2))
    except Exception as exc:  # noqa: BLE001 - a job body reports failure, it never raises into the worker
        emit("intel", "build_universe_failed", "error", paths=paths, day=day, error=repr(exc)[:500])
        return {
            "ok": False,
            "message": f"build_universe failed: {exc!r}"[:500],
            "artifacts": artifacts,
            "elapsed_s": round(time.monotonic() - started, 3),
        }
    summary = fetcher.summary()
    partial = bool(summary["partial"] or daily.model_extra and daily.model_extra.get("partial"))
    if partial:
        emit("intel", "build_universe_partial", "warning", paths=paths, day=day, **summary)
    msg = (
        f"core {len(core.symbols)}, daily {len(daily.symbols)}, features {len(features.symbols)}, "
        f"v2 {len(v2.symbols)}" + (" (partial)" if partial else "")
    )
    return {
        "ok": True,
        "message": msg,
        "artifacts": artifacts,
        "partial": partial,
        "calls_made": summary["calls_made"],
        "elapsed_s": round(time.monotonic() - started, 3),
    }
