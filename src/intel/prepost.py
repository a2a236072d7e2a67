"""Premarket and postmarket intel (contract 4.6): UW intelligence gathered into state files.

Per universe symbol: options flow (flow alerts), dark pool, greek exposure, net premium
(flow-recent), and premarket only, earnings proximity. Market-wide: market tide, sector tide
per configured sector, economic calendar. Symbol calls go only to daily ∪ core (the client
refuses anything else); market-wide calls go first, so a budget that runs out mid-run still
leaves the regime its evidence. A refused budget ends the run early with the file marked
`partial` and an event; it never raises.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from src.core.events import emit
from src.core.paths import Paths
from src.core.state import inspect_state, save_state
from src.intel.fetch import IntelFetcher, make_client
from src.intel.models import IntelFile, MarketIntel, SymbolIntel
from src.intel.sector_intel import load_sector_profiles, resolve_sector, uw_sectors
from src.intel.summaries import (
    summarize_dark_pool,
    summarize_earnings,
    summarize_economic_calendar,
    summarize_flow_alerts,
    summarize_greek_exposure,
    summarize_net_premium,
    summarize_tide,
)
from src.intel.values import iso, job_now, parse_ts
from src.uw.universe import UniverseFile
from src.uw.uw_client import uw_path

MARKET_TIDE = "/api/market/market-tide"
SECTOR_TIDE = "/api/market/{sector}/sector-tide"
ECON_CALENDAR = "/api/market/economic-calendar"
FLOW_ALERTS = "/api/stock/{t}/flow-alerts"
DARK_POOL = "/api/darkpool/{t}"
GREEKS = "/api/stock/{t}/greek-exposure"
FLOW_RECENT = "/api/stock/{t}/flow-recent"
EARNINGS = "/api/earnings/{t}"

# family name -> (endpoint template, query params); order = priority under a tight budget
SYMBOL_FAMILIES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "flow": (FLOW_ALERTS, {"limit": 100}),
    "net_premium": (FLOW_RECENT, None),
    "dark_pool": (DARK_POOL, {"limit": 200}),
    "greek_exposure": (GREEKS, {"timeframe": "1W"}),
    "earnings": (EARNINGS, None),
}
KIND_FAMILIES = {
    "premarket": ("flow", "net_premium", "dark_pool", "greek_exposure", "earnings"),
    "postmarket": ("flow", "net_premium", "dark_pool", "greek_exposure"),
}


def universe_symbols(paths: Paths) -> dict[str, str | None]:
    """Core first (always watched), then daily by rank, each with its UW sector hint (if any);
    read without healing other jobs' files."""
    out: dict[str, str | None] = {}
    for p in (paths.core_universe, paths.daily_universe):
        uf = inspect_state(p, UniverseFile).value
        for e in uf.symbols if uf else []:
            s = str(e.symbol).strip().upper()
            if s and (s not in out or out[s] is None):
                out[s] = (e.model_extra or {}).get("sector")
    return out


def _summarize(family: str, data: Any, now: datetime) -> dict[str, Any]:
    if family == "flow":
        return summarize_flow_alerts(data, now)
    if family == "dark_pool":
        return summarize_dark_pool(data, now)
    if family == "greek_exposure":
        return summarize_greek_exposure(data, now)
    if family == "net_premium":
        return summarize_net_premium(data, now)
    if family == "earnings":
        return summarize_earnings(data, now.date(), now)
    raise ValueError(f"unknown family {family}")


def collect_market(fetcher: IntelFetcher, now: datetime, sectors: dict[str, str]) -> MarketIntel:
    m = MarketIntel()
    got = fetcher.get(MARKET_TIDE, {"interval_5m": True})
    if got is not None:
        m.market_tide = summarize_tide(got.data, now) | {"stale": got.stale}
    for name, uw_name in sectors.items():
        # the client takes wire paths: uw_path encodes "Consumer Cyclical" once, the client never again
        got = fetcher.get(uw_path(SECTOR_TIDE, sector=uw_name), None)
        if got is not None:
            m.sector_tide[name] = summarize_tide(got.data, now) | {"uw_sector": uw_name, "stale": got.stale}
    got = fetcher.get(ECON_CALENDAR, None)
    if got is not None:
        m.economic_calendar = summarize_economic_calendar(got.data, now)
    return m


def collect_symbol(
    fetcher: IntelFetcher, symbol: str, families: tuple[str, ...], now: datetime, sector: str | None
) -> SymbolIntel:
    si = SymbolIntel(symbol=symbol, sector=sector)
    for fam in families:
        tmpl, params = SYMBOL_FAMILIES[fam]
        got = fetcher.get(tmpl.format(t=symbol), params)
        if got is None:
            si.missing.append(fam)
            continue
        try:
            summary = _summarize(fam, got.data, now) | {"stale": got.stale}
        except Exception as exc:  # noqa: BLE001 - one odd payload must not sink the run
            fetcher.errors.append(f"summarize: {fam}: {symbol}: {exc!r}"[:300])
            si.missing.append(fam)
            continue
        setattr(si, fam, summary)
    return si


def collect_intel(
    kind: str, day: str, paths: Paths, fetcher: IntelFetcher, now: datetime, max_symbols: int | None = None
) -> IntelFile:
    profiles = load_sector_profiles()
    hints = universe_symbols(paths)
    symbols = list(hints)[:max_symbols] if max_symbols is not None else list(hints)
    out = IntelFile(kind=kind, day=day, generated_at=iso(now), universe=symbols)
    out.market = collect_market(fetcher, now, uw_sectors(profiles))
    families = KIND_FAMILIES[kind]
    for sym in symbols:
        if fetcher.exhausted:
            out.symbols[sym] = SymbolIntel(
                symbol=sym, sector=resolve_sector(sym, profiles, hints[sym]).name, missing=list(families)
            )
            continue
        out.symbols[sym] = collect_symbol(fetcher, sym, families, now, resolve_sector(sym, profiles, hints[sym]).name)
    stamps = [
        parse_ts(v.get("as_of"))
        for si in out.symbols.values()
        for fam in families
        if isinstance(v := getattr(si, fam), dict)
    ]
    stamps += [parse_ts(out.market.market_tide.get("as_of"))] if out.market.market_tide else []
    stamps = [s for s in stamps if s is not None]
    out.as_of = iso(max(stamps)) if stamps else None
    s = fetcher.summary()
    out.calls_made, out.calls_failed, out.errors = s["calls_made"], s["calls_failed"], s["errors"]
    out.partial = bool(s["partial"]) or not symbols
    out.degraded_reason = s["degraded_reason"] or (None if symbols else "empty universe")
    return out


def _run(kind: str, day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    target = paths.premarket_intel if kind == "premarket" else paths.postmarket_intel
    try:
        paths.ensure()
        now = job_now(options)
        client = options.get("client") or make_client(settings, paths)
        fetcher = IntelFetcher(client, paths, f"{kind}_intel", max_calls=options.get("max_calls"))
        intel = collect_intel(kind, day, paths, fetcher, now, options.get("max_symbols"))
        save_state(target, intel)
    except Exception as exc:  # noqa: BLE001 - job bodies report, never raise
        emit("intel", f"{kind}_intel_failed", "error", paths=paths, day=day, error=repr(exc)[:500])
        return {
            "ok": False,
            "message": f"{kind} intel failed: {exc!r}"[:500],
            "artifacts": [],
            "elapsed_s": round(time.monotonic() - started, 3),
        }
    if intel.partial:
        emit(
            "intel",
            f"{kind}_intel_partial",
            "warning",
            paths=paths,
            day=day,
            reason=intel.degraded_reason,
            calls_made=intel.calls_made,
            calls_failed=intel.calls_failed,
            symbols_missing=sum(1 for s in intel.symbols.values() if s.missing),
        )
    complete = sum(1 for s in intel.symbols.values() if not s.missing)
    msg = f"{kind} intel: {complete}/{len(intel.symbols)} symbols complete, {intel.calls_made} calls" + (
        f" (partial: {intel.degraded_reason})" if intel.partial else ""
    )
    return {
        "ok": True,
        "message": msg,
        "artifacts": [str(target)],
        "partial": intel.partial,
        "calls_made": intel.calls_made,
        "elapsed_s": round(time.monotonic() - started, 3),
    }


def run_premarket_intel(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: state/premarket_intel.json."""
    return _run("premarket", day, paths, settings, options)


def run_postmarket_intel(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: state/postmarket_intel.json."""
    return _run("postmarket", day, paths, settings, options)
