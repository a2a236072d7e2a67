"""Symbol risk features (contract 4.12): volatility, IV rank, liquidity, short interest.

Each value carries its source endpoint and as-of time, so universe v2 (and a human) can
tell a fresh measurement from yesterday's screener row. Sources, in order of preference:
per-symbol UW endpoints, then the screener row that put the symbol in the daily universe.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from src.core.paths import Paths
from src.intel.fetch import IntelFetcher
from src.intel.models import FieldValue, SymbolRiskFeatures, SymbolRiskFeaturesFile
from src.intel.values import clamp, iso, num, parse_ts, rows
from src.uw.universe import UniverseFile

REALIZED = "/api/stock/{t}/volatility/realized"
IV_RANK = "/api/stock/{t}/iv-rank"
SHORT_INTEREST = "/api/shorts/{t}/interest-float"
INFO = "/api/stock/{t}/info"
SCREENER = "/api/screener/stocks"


def _latest(items: list[dict[str, Any]], *keys: str) -> dict[str, Any]:
    """The row with the newest date-like key (UW lists are not reliably ordered)."""

    def key(r: dict[str, Any]) -> float:
        for k in keys:
            ts = parse_ts(r.get(k))
            if ts is not None:
                return ts.timestamp()
        return 0.0

    return max(items, key=key) if items else {}


def _fv(value: Any, source: str, as_of: Any) -> FieldValue:
    v = num(value)
    ts = parse_ts(as_of)
    return FieldValue(value=v, source=source if v is not None else "", as_of=iso(ts) if v is not None else None)


def normalize_iv_rank(v: float | None) -> float | None:
    """UW reports IV rank as 0..1 on some endpoints and 0..100 on others: always 0..100."""
    if v is None:
        return None
    return clamp(v * 100.0 if v <= 1.0 else v, 0.0, 100.0)


def liquidity_score(price: float | None, stock_volume: float | None, option_volume: float | None) -> float | None:
    """0..1: mostly dollar volume (1M..10B per day), a little options volume (1k..1M)."""
    parts: list[tuple[float, float]] = []
    if price and stock_volume and price > 0 and stock_volume > 0:
        parts.append((0.7, clamp((math.log10(price * stock_volume) - 6.0) / 4.0, 0.0, 1.0)))
    if option_volume and option_volume > 0:
        parts.append((0.3, clamp((math.log10(option_volume) - 3.0) / 3.0, 0.0, 1.0)))
    if not parts:
        return None
    total_w = sum(w for w, _ in parts)
    return round(sum(w * s for w, s in parts) / total_w, 4)


def features_from_payloads(
    symbol: str,
    screener_row: dict[str, Any] | None,
    realized: Any,
    iv_rank: Any,
    short_interest: Any,
    info_payload: Any,
    screener_as_of: Any,
    fetched_at: str | None = None,
) -> SymbolRiskFeatures:
    """Pure: one symbol's features from whatever payloads were fetched (any may be None)."""
    f = SymbolRiskFeatures(symbol=symbol)
    sr = screener_row or {}
    if sr:
        f.sector = sr.get("sector")
        f.price = _fv(sr.get("price"), SCREENER, screener_as_of)
        f.iv_rank = _fv(normalize_iv_rank(num(sr.get("iv_rank"))), SCREENER, screener_as_of)
        f.option_volume = _fv(sr.get("option_volume"), SCREENER, screener_as_of)
        f.marketcap = _fv(sr.get("marketcap"), SCREENER, screener_as_of)
    rv = _latest(rows(realized), "date")
    if rv:
        f.realized_vol = _fv(rv.get("realized_volatility"), REALIZED, rv.get("date"))
        f.implied_vol = _fv(rv.get("implied_volatility"), REALIZED, rv.get("date"))
        if f.price.value is None:
            f.price = _fv(rv.get("price"), REALIZED, rv.get("date"))
    ivr = _latest(rows(iv_rank), "updated_at", "date")
    if ivr:
        val = normalize_iv_rank(num(ivr.get("iv_rank_1y")))
        if val is not None:
            f.iv_rank = _fv(val, IV_RANK, ivr.get("updated_at") or ivr.get("date"))
        if f.implied_vol.value is None:
            f.implied_vol = _fv(ivr.get("volatility"), IV_RANK, ivr.get("updated_at") or ivr.get("date"))
    si = _latest(rows(short_interest), "market_date", "created_at")
    if si:
        stamp = si.get("market_date") or si.get("created_at")
        f.short_interest_pct_float = _fv(si.get("percent_returned"), SHORT_INTEREST, stamp)
        f.days_to_cover = _fv(si.get("days_to_cover_returned"), SHORT_INTEREST, stamp)
    info = (rows(info_payload) or [{}])[0]
    if info:
        f.stock_volume = _fv(info.get("avg30_volume"), INFO, fetched_at)
        if f.marketcap.value is None:
            f.marketcap = _fv(info.get("marketcap"), INFO, fetched_at)
        f.sector = f.sector or info.get("sector")
    f.liquidity_score = liquidity_score(f.price.value, f.stock_volume.value, f.option_volume.value)
    return f


def build_risk_features(
    fetcher: IntelFetcher, symbols: list[str], daily: UniverseFile, now: datetime, paths: Paths, per_symbol: bool = True
) -> SymbolRiskFeaturesFile:
    """Risk features for every universe symbol; symbols whose calls failed keep screener data."""
    screener_rows = {
        e.symbol: (e.model_extra or {}) | {"sector": (e.model_extra or {}).get("sector")} for e in daily.symbols
    }
    out = SymbolRiskFeaturesFile(as_of=iso(now), generated_at=iso(now))
    for sym in symbols:
        payloads: dict[str, Any] = {}
        if per_symbol:
            for name, tmpl, params in (
                ("realized", REALIZED, {"timeframe": "1M"}),
                ("iv_rank", IV_RANK, {"timespan": "1m"}),
                ("short_interest", SHORT_INTEREST, None),
                ("info", INFO, None),
            ):
                got = fetcher.get(tmpl.format(t=sym), params)
                payloads[name] = got.data if got is not None else None
        out.symbols[sym] = features_from_payloads(
            sym,
            screener_rows.get(sym),
            payloads.get("realized"),
            payloads.get("iv_rank"),
            payloads.get("short_interest"),
            payloads.get("info"),
            daily.generated_at,
            iso(now),
        )
    s = fetcher.summary()
    out.partial = bool(s["partial"])
    out.errors = s["errors"]
    return out
