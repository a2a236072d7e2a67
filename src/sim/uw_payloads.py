"""Response bodies of the UW simulator, shaped after the official OpenAPI response schemas.

Each builder is a pure function of (market model, simulated now, query/path arguments) and
returns the JSON body. Field names and JSON types follow the schema properties in
unusual_whales_openapi.yaml: decimals travel as strings, counts as integers, as UW sends them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from src.core.clock import NY
from src.sim.market import FlowAlert, MarketModel, data_session
from src.sim.symbols import SECTORS

Query = Mapping[str, str]
CANDLE_MINUTES = {"1m": 1, "5m": 5, "10m": 10, "15m": 15, "30m": 30, "1h": 60, "4h": 240}
CANDLE_SIZES = (*CANDLE_MINUTES, "1d", "1w")


class BadRequest(ValueError):
    """A parameter UW would answer with 422."""


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dec(x: float, places: int = 2) -> str:
    return f"{x:.{places}f}"


def int_param(q: Query, name: str, default: int | None, lo: int = 1, hi: int | None = None) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc
    if value < lo or (hi is not None and value > hi):
        raise BadRequest(f"{name} must be between {lo} and {hi}")
    return value


def float_param(q: Query, name: str) -> float | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a number") from exc


def bool_param(q: Query, name: str) -> bool | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    return raw.lower() in ("1", "true", "yes")


def time_param(q: Query, name: str) -> datetime | None:
    """UW's newer_than/older_than accept epoch seconds or an ISO timestamp."""
    raw = q.get(name)
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except ValueError:
        pass
    try:
        ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"{name} must be epoch seconds or ISO time") from exc
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _session_day(now: datetime) -> date:
    s = data_session(now)
    return s.day if s else now.astimezone(NY).date()


# ----- options flow ---------------------------------------------------------------------
def alert_json(a: FlowAlert) -> dict[str, Any]:
    ask = a.premium * (0.8 if a.ask_side else 0.15)
    bid = a.premium * (0.15 if a.ask_side else 0.8)
    chain = f"{a.symbol}{a.expiry:%y%m%d}{'C' if a.is_call else 'P'}{int(round(a.strike * 1000)):08d}"
    return {
        "alert_rule": a.rule, "all_opening_trades": a.size > a.open_interest, "created_at": iso(a.ts),
        "expiry": a.expiry.isoformat(), "expiry_count": 1, "has_floor": a.has_floor, "has_multileg": False,
        "has_singleleg": True, "has_sweep": a.has_sweep, "issue_type": "Common Stock",
        "open_interest": a.open_interest, "option_chain": chain, "price": dec(a.option_price),
        "strike": f"{a.strike:g}", "ticker": a.symbol, "total_ask_side_prem": dec(ask, 0),
        "total_bid_side_prem": dec(bid, 0), "total_premium": dec(a.premium, 0), "total_size": a.size,
        "trade_count": a.trade_count, "type": "call" if a.is_call else "put",
        "underlying_price": dec(a.underlying), "volume": a.volume,
        "volume_oi_ratio": f"{a.volume / max(a.open_interest, 1):.6f}",
    }


def _alert_filter(q: Query) -> Callable[[FlowAlert], bool]:
    tickers = {t.strip().upper() for t in (q.get("ticker_symbol") or "").split(",") if t.strip()}
    min_p, max_p = float_param(q, "min_premium"), float_param(q, "max_premium")
    min_size = float_param(q, "min_size")
    flags = {k: bool_param(q, k) for k in ("is_call", "is_put", "is_sweep", "is_floor", "is_ask_side", "is_bid_side")}
    newer, older = time_param(q, "newer_than"), time_param(q, "older_than")

    def keep(a: FlowAlert) -> bool:
        checks = (
            not tickers or a.symbol in tickers, min_p is None or a.premium >= min_p,
            max_p is None or a.premium <= max_p, min_size is None or a.size >= min_size,
            flags["is_call"] is not True or a.is_call, flags["is_put"] is not True or not a.is_call,
            flags["is_sweep"] is not True or a.has_sweep, flags["is_floor"] is not True or a.has_floor,
            flags["is_ask_side"] is not True or a.ask_side, flags["is_bid_side"] is not True or not a.ask_side,
            newer is None or a.ts > newer, older is None or a.ts < older,
        )
        return all(checks)

    return keep


def market_flow_alerts(m: MarketModel, now: datetime, q: Query) -> dict:
    limit = int_param(q, "limit", 100, 1, 200) or 100
    keep = _alert_filter(q)
    out = []
    for a in m.market_alerts(now):
        if keep(a):
            out.append(alert_json(a))
            if len(out) >= limit:
                break
    return {"data": out}


def stock_flow_alerts(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    limit = int_param(q, "limit", 100, 1, 200) or 100
    keep = _alert_filter(q)
    alerts = [a for a in reversed(m.alerts_until(ticker, now)) if keep(a)]
    return {"data": [alert_json(a) for a in alerts[:limit]]}


def flow_recent(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    """Per-expiry totals of today's tape; alerts are ~a quarter of the premium that trades."""
    side = (q.get("side") or "ALL").upper()
    if side not in ("ALL", "ASK", "BID", "MID"):
        raise BadRequest("side must be one of ALL, ASK, BID, MID")
    min_prem = float_param(q, "min_premium") or 0.0
    day = _session_day(now)
    rows: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for a in m.alerts_until(ticker, now):
        if a.premium < min_prem or (side == "ASK" and not a.ask_side) or (side == "BID" and a.ask_side):
            continue
        r = rows[a.expiry]
        k = "call" if a.is_call else "put"
        prem, vol, trades = a.premium * 4.0, a.volume * 4, a.trade_count * 3
        r[f"{k}_premium"] += prem
        r[f"{k}_volume"] += vol
        r[f"{k}_trades"] += trades
        r[f"{k}_premium_{'ask' if a.ask_side else 'bid'}_side"] += prem * 0.8
        r[f"{k}_premium_{'bid' if a.ask_side else 'ask'}_side"] += prem * 0.15
        r[f"{k}_volume_{'ask' if a.ask_side else 'bid'}_side"] += vol * 0.8
        r[f"{k}_volume_{'bid' if a.ask_side else 'ask'}_side"] += vol * 0.15
        if a.otm:
            r[f"{k}_otm_premium"] += prem
            r[f"{k}_otm_volume"] += vol
            r[f"{k}_otm_trades"] += trades
    data = []
    for expiry in sorted(rows):
        r = rows[expiry]
        row: dict[str, Any] = {"date": day.isoformat(), "expiry": expiry.isoformat(), "ticker": ticker}
        for k in ("call", "put"):
            for f in ("premium", "otm_premium", "premium_ask_side", "premium_bid_side"):
                row[f"{k}_{f}"] = dec(r[f"{k}_{f}"], 0)
            for f in ("trades", "otm_trades", "volume", "otm_volume", "volume_ask_side", "volume_bid_side"):
                row[f"{k}_{f}"] = int(r[f"{k}_{f}"])
        data.append(row)
    return {"data": data, "date": day.isoformat()}


def _net_by_minute(alerts: list[FlowAlert], start: datetime, now: datetime, step: int, otm_only: bool) -> list[dict]:
    """Cumulative net call/put premium per `step` minutes: the market/sector tide shape."""
    buckets: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for a in alerts:
        if otm_only and not a.otm:
            continue
        idx = int((a.ts - start).total_seconds() // (60 * step))
        sign = 1.0 if a.ask_side else -1.0
        b = buckets[idx]
        if a.is_call:
            b[0] += sign * a.premium * 0.65
            b[2] += sign * a.volume
        else:
            b[1] += sign * a.premium * 0.65
            b[2] -= sign * a.volume
    n = int((now - start).total_seconds() // (60 * step)) + 1
    call = put = vol = 0.0
    out = []
    for i in range(max(n, 0)):
        b = buckets.get(i, (0.0, 0.0, 0.0))
        call, put, vol = call + b[0], put + b[1], vol + b[2]
        ts = start + timedelta(minutes=i * step)
        out.append({"date": ts.astimezone(NY).date().isoformat(), "net_call_premium": dec(call, 4),
                    "net_put_premium": dec(put, 4), "net_volume": int(vol),
                    "timestamp": ts.astimezone(NY).isoformat()})
    return out


def _tide(m: MarketModel, now: datetime, q: Query, sector: str | None) -> dict:
    s = data_session(now)
    if s is None:
        return {"data": []}
    end = min(now, s.close - timedelta(seconds=1))
    step = 5 if bool_param(q, "interval_5m") else 1
    alerts = [a for a in m.market_alerts(now, lookback_sessions=0)
              if sector is None or m.profile(a.symbol).sector == sector]
    alerts.reverse()
    return {"data": _net_by_minute(alerts, s.open, end, step, bool(bool_param(q, "otm_only")))}


def market_tide(m: MarketModel, now: datetime, q: Query) -> dict:
    return _tide(m, now, q, None)


def sector_tide(m: MarketModel, now: datetime, sector: str, q: Query) -> dict:
    if sector not in SECTORS:
        raise BadRequest(f"sector must be one of {', '.join(SECTORS)}")
    return _tide(m, now, q, sector)


def _net_premium_by_symbol(m: MarketModel, now: datetime) -> dict[str, dict[str, float]]:
    agg: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for a in m.market_alerts(now, lookback_sessions=0):
        r = agg[a.symbol]
        k = "call" if a.is_call else "put"
        sign = 1.0 if a.ask_side else -1.0
        r[f"{k}_premium"] += a.premium * 4
        r[f"{k}_volume"] += a.volume * 4
        r[f"{k}_volume_{'ask' if a.ask_side else 'bid'}_side"] += a.volume * 4
        r[f"net_{k}_premium"] += sign * a.premium
        r["bullish_premium" if a.bullish else "bearish_premium"] += a.premium * 4
    return agg


def top_net_impact(m: MarketModel, now: datetime, q: Query) -> dict:
    limit = int_param(q, "limit", 20, 1, 100) or 20
    agg = _net_premium_by_symbol(m, now)
    net = sorted(((r["net_call_premium"] - r["net_put_premium"], sym) for sym, r in agg.items()), reverse=True)
    top, bottom = net[: (limit + 1) // 2], net[len(net) - limit // 2:] if limit // 2 else []
    chosen = top + [x for x in bottom if x not in top]
    return {"data": [{"net_premium": round(v, 2), "ticker": sym} for v, sym in chosen]}


# ----- dark pool ----------------------------------------------------------------------------
def _dp_json(d, day_volume: int) -> dict[str, Any]:
    return {
        "canceled": False, "executed_at": iso(d.ts),
        "ext_hour_sold_codes": "extended_hours_trade" if d.extended else None,
        "market_center": "L", "nbbo_ask": dec(d.nbbo_ask), "nbbo_ask_quantity": 100 + d.tracking_id % 9000,
        "nbbo_bid": dec(d.nbbo_bid), "nbbo_bid_quantity": 100 + d.tracking_id % 7000,
        "premium": dec(d.premium), "price": dec(d.price, 4), "sale_cond_codes": None, "size": d.size,
        "ticker": d.symbol, "tracking_id": d.tracking_id, "trade_code": None,
        "trade_settlement": "regular", "volume": day_volume,
    }


def _dp_keep(q: Query) -> Callable[[Any], bool]:
    min_p, max_p = float_param(q, "min_premium"), float_param(q, "max_premium")
    min_s = float_param(q, "min_size")
    newer, older = time_param(q, "newer_than"), time_param(q, "older_than")
    return lambda d: ((min_p is None or d.premium >= min_p) and (max_p is None or d.premium <= max_p)
                      and (min_s is None or d.size >= min_s) and (newer is None or d.ts > newer)
                      and (older is None or d.ts < older))


def darkpool_ticker(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    limit = int_param(q, "limit", 500, 1, 500) or 500
    keep = _dp_keep(q)
    prints = m.darkpool_until(ticker, now)
    vol, out = 0, []
    for d in prints:
        vol += d.size
        if keep(d):
            out.append(_dp_json(d, vol * 7))
    out.reverse()
    return {"data": out[:limit]}


def darkpool_recent(m: MarketModel, now: datetime, q: Query) -> dict:
    limit = int_param(q, "limit", 100, 1, 200) or 100
    keep = _dp_keep(q)
    # The most active names carry the tape; scanning the whole universe per call is not needed.
    active = sorted(m.universe(), key=lambda s: -m.profile(s).activity)[:80]
    prints = [d for sym in active for d in m.darkpool_until(sym, now) if keep(d)]
    prints.sort(key=lambda d: d.ts, reverse=True)
    return {"data": [_dp_json(d, d.size * 40) for d in prints[:limit]]}
