"""Turn UW payloads into the per-symbol records of `data/uw_flow_cache.json` (pure, no IO).

Field names are the ones documented in `src/uw/flow_cache.py`, which the v1 scorer reads.
Every value goes through `num()`, so a vendor type drift ("1.5!", {"value": ...}) becomes a
missing value, never an exception; a payload with nothing usable is reported as bad so the
daemon keeps the last good record instead of overwriting it with nothing.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime
from typing import Any

SENTIMENT_THRESHOLD = 0.2
MAX_TRADES_PER_SYMBOL = 2000


class BadPayload(Exception):
    """Rows present but none usable (wrong types / shape drift)."""


def num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def rows(items: list[Any]) -> list[dict[str, Any]]:
    return [r for r in items if isinstance(r, dict)]


def ts_of(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def latest_by(items: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    dated = [r for r in items if isinstance(r.get(key), str)]
    return max(dated, key=lambda r: r[key]) if dated else (items[0] if items else None)


class TradeStore:
    """Today's flow alerts or dark-pool prints per symbol, de-duplicated, bounded.

    Symbol polls and the market-wide feeds overlap; a store keyed by trade identity lets both
    feed one aggregate without double counting.
    """

    def __init__(self) -> None:
        self.day = ""
        self.by_symbol: dict[str, OrderedDict[str, dict[str, Any]]] = {}

    def roll(self, day: str) -> None:
        if day != self.day:
            self.day, self.by_symbol = day, {}

    def add(self, symbol: str, ident: str, trade: dict[str, Any]) -> bool:
        store = self.by_symbol.setdefault(symbol, OrderedDict())
        if ident in store:
            return False
        store[ident] = trade
        while len(store) > MAX_TRADES_PER_SYMBOL:
            store.popitem(last=False)
        return True

    def trades(self, symbol: str) -> list[dict[str, Any]]:
        return list(self.by_symbol.get(symbol, {}).values())


def alert_trade(r: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(symbol, identity, compact alert) or None when the row is unusable."""
    sym = r.get("ticker")
    premium = num(r.get("total_premium"))
    kind = r.get("type")
    if not isinstance(sym, str) or premium is None or kind not in ("call", "put"):
        return None
    ident = str(r.get("id") or f"{r.get('option_chain')}|{r.get('created_at')}|{r.get('total_size')}")
    return (
        sym.upper(),
        ident,
        {
            "call": kind == "call",
            "premium": premium,
            "sweep": r.get("has_sweep") is True,
            "floor": r.get("has_floor") is True,
            "single": num(r.get("trade_count")) == 1.0,
            "repeated": str(r.get("alert_rule") or "").startswith("RepeatedHits"),
            "price": num(r.get("underlying_price")),
            "ts": ts_of(r.get("created_at")),
        },
    )


def darkpool_trade(r: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    sym = r.get("ticker")
    price, size = num(r.get("price")), num(r.get("size"))
    if not isinstance(sym, str) or price is None or size is None or r.get("canceled") is True:
        return None
    ident = str(r.get("tracking_id") or f"{r.get('executed_at')}|{price}|{size}")
    return sym.upper(), ident, {"price": price, "size": size, "ts": ts_of(r.get("executed_at"))}


def ingest(store: TradeStore, items: list[Any], parse: Any, only: set[str] | None = None) -> tuple[set[str], int]:
    """Add parsed rows to the store; (symbols touched, usable rows). BadPayload if rows exist but none parse."""
    good, touched, usable = rows(items), set(), 0
    for r in good:
        parsed = parse(r)
        if parsed is None:
            continue
        usable += 1
        sym, ident, trade = parsed
        if only is not None and sym not in only:
            continue
        if store.add(sym, ident, trade):
            touched.add(sym)
    if items and usable == 0:
        raise BadPayload(f"{len(items)} rows, none usable")
    return touched, usable


def flow_record(trades: list[dict[str, Any]]) -> dict[str, Any]:
    call = sum(t["premium"] for t in trades if t["call"])
    put = sum(t["premium"] for t in trades if not t["call"])
    total = call + put
    ratio = (call - put) / total if total > 0 else 0.0
    sentiment = "BULLISH" if ratio > SENTIMENT_THRESHOLD else "BEARISH" if ratio < -SENTIMENT_THRESHOLD else "NEUTRAL"
    return {
        "call_premium": round(call, 2),
        "put_premium": round(put, 2),
        "net_premium": round(call - put, 2),
        "sweep_count": sum(1 for t in trades if t["sweep"]),
        # a block: a floor trade or a single large print rather than a sweep across venues
        "block_count": sum(1 for t in trades if t["floor"] or (t["single"] and not t["sweep"])),
        "alert_count": len(trades),
        "repeated_hits": sum(1 for t in trades if t["repeated"]),
        "sentiment": sentiment,
        "conviction": round(abs(ratio), 4),
    }


def dark_pool_record(trades: list[dict[str, Any]]) -> dict[str, Any]:
    size = sum(t["size"] for t in trades)
    notional = sum(t["size"] * t["price"] for t in trades)
    return {
        "print_count": len(trades),
        "total_notional": round(notional, 2),
        "total_size": round(size, 2),
        "avg_price": round(notional / size, 4) if size > 0 else None,
    }


def last_price(trades: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(price, ts) of the newest trade carrying a price."""
    best: tuple[float | None, float | None] = (None, None)
    for t in trades:
        p, ts = t.get("price"), t.get("ts")
        if p is not None and ts is not None and (best[1] is None or ts > best[1]):
            best = (p, ts)
    return best


def greek_exposure_record(items: list[Any]) -> dict[str, Any]:
    row = latest_by(rows(items), "date")
    if row is None:
        raise BadPayload("no rows")
    out = {k: num(row.get(k)) for k in ("call_gamma", "put_gamma", "call_delta", "put_delta")}
    if all(v is None for v in out.values()):
        raise BadPayload("no numeric greeks")
    cg, pg = out["call_gamma"], out["put_gamma"]
    out["net_gamma"] = (cg or 0.0) + (pg or 0.0) if cg is not None or pg is not None else None
    out["date"] = row.get("date") if isinstance(row.get("date"), str) else None
    return out


def iv_rank_record(items: list[Any]) -> dict[str, Any]:
    row = latest_by(rows(items), "date")
    value = num(row.get("iv_rank_1y")) if row else None
    if row is None or value is None:
        raise BadPayload("no iv_rank_1y")
    return {"value": value, "volatility": num(row.get("volatility")), "close": num(row.get("close"))}


def oi_change_record(items: list[Any]) -> dict[str, Any]:
    good = rows(items)
    diffs = [(r, num(r.get("oi_diff_plain"))) for r in good]
    usable = [(r, d) for r, d in diffs if d is not None]
    if good and not usable:
        raise BadPayload("no numeric oi_diff_plain")
    call = put = 0.0
    for r, d in usable:
        sym = str(r.get("option_symbol") or "")
        side = sym[-9:-8] if len(sym) > 9 else ""
        if side == "C":
            call += d or 0.0
        elif side == "P":
            put += d or 0.0
    return {
        "net_oi_change": sum(d or 0.0 for _, d in usable),
        "call_oi_change": call,
        "put_oi_change": put,
        "contracts": len(usable),
    }


def market_tide_item(items: list[Any]) -> dict[str, Any]:
    good = [r for r in rows(items) if num(r.get("net_call_premium")) is not None]
    if items and not good:
        raise BadPayload("no numeric tide rows")
    latest = latest_by(good, "timestamp") or {}
    return {
        "net_call_premium": num(latest.get("net_call_premium")),
        "net_put_premium": num(latest.get("net_put_premium")),
        "net_volume": num(latest.get("net_volume")),
        "timestamp": latest.get("timestamp"),
        "points": len(good),
    }


def top_net_impact_item(items: list[Any]) -> list[dict[str, Any]]:
    out = [
        {"ticker": r["ticker"], "net_premium": num(r.get("net_premium"))}
        for r in rows(items)
        if isinstance(r.get("ticker"), str) and num(r.get("net_premium")) is not None
    ]
    if items and not out:
        raise BadPayload("no usable rows")
    return out
