"""Pure summaries of UW payloads into the compact families the intel files store.

Each summary is a plain dict with an `as_of` (the newest timestamp inside the payload, or
the fetch time when the payload has none) so freshness is judged per family, not per file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from src.intel.values import iso, num, parse_ts, rows


def _newest(items: list[dict[str, Any]], *keys: str) -> str | None:
    best = None
    for r in items:
        for k in keys:
            ts = parse_ts(r.get(k))
            if ts is not None:
                best = ts if best is None or ts > best else best
                break
    return iso(best)


def _sentiment(net: float, gross: float, threshold: float = 0.1) -> str:
    if gross <= 0:
        return "NEUTRAL"
    ratio = net / gross
    return "BULLISH" if ratio >= threshold else "BEARISH" if ratio <= -threshold else "NEUTRAL"


def summarize_flow_alerts(payload: Any, fetched_at: datetime) -> dict[str, Any]:
    items = rows(payload)
    call = put = 0.0
    sweeps = 0
    for r in items:
        prem = num(r.get("total_premium")) or 0.0
        if str(r.get("type", "")).lower() == "put":
            put += prem
        else:
            call += prem
        sweeps += 1 if r.get("has_sweep") else 0
    net = call - put
    return {
        "alert_count": len(items),
        "call_premium": call,
        "put_premium": put,
        "net_premium": net,
        "sweep_count": sweeps,
        "sentiment": _sentiment(net, call + put),
        "as_of": _newest(items, "created_at") or iso(fetched_at),
    }


def summarize_dark_pool(payload: Any, fetched_at: datetime) -> dict[str, Any]:
    items = [r for r in rows(payload) if not r.get("canceled")]
    notional = sum(num(r.get("premium")) or 0.0 for r in items)
    size = sum(num(r.get("size")) or 0.0 for r in items)
    return {
        "print_count": len(items),
        "total_notional": notional,
        "total_size": size,
        "vwap": (notional / size) if size else None,
        "as_of": _newest(items, "executed_at") or iso(fetched_at),
    }


def summarize_greek_exposure(payload: Any, fetched_at: datetime) -> dict[str, Any]:
    items = rows(payload)
    latest = max(items, key=lambda r: str(r.get("date") or "")) if items else {}
    cg, pg = num(latest.get("call_gamma")), num(latest.get("put_gamma"))
    cd, pd = num(latest.get("call_delta")), num(latest.get("put_delta"))
    net_gamma = (cg or 0.0) + (pg or 0.0) if (cg is not None or pg is not None) else None
    net_delta = (cd or 0.0) + (pd or 0.0) if (cd is not None or pd is not None) else None
    return {
        "call_gamma": cg,
        "put_gamma": pg,
        "net_gamma": net_gamma,
        "net_delta": net_delta,
        "gamma_regime": None if net_gamma is None else ("positive" if net_gamma >= 0 else "negative"),
        "date": latest.get("date"),
        "as_of": _newest([latest], "date") if latest else iso(fetched_at),
    }


def summarize_earnings(payload: Any, today: date, fetched_at: datetime) -> dict[str, Any]:
    """Next report on/after today (or the most recent past one) and days until it."""
    upcoming: list[tuple[date, dict[str, Any]]] = []
    past: list[tuple[date, dict[str, Any]]] = []
    for r in rows(payload):
        ts = parse_ts(r.get("report_date"))
        if ts is None:
            continue
        (upcoming if ts.date() >= today else past).append((ts.date(), r))
    nxt = min(upcoming, key=lambda x: x[0]) if upcoming else None
    last = max(past, key=lambda x: x[0]) if past else None
    out: dict[str, Any] = {
        "next_report_date": None,
        "days_to_earnings": None,
        "report_time": None,
        "expected_move_perc": None,
        "last_report_date": None,
        "as_of": iso(fetched_at),
    }
    if nxt:
        out.update(
            next_report_date=nxt[0].isoformat(),
            days_to_earnings=(nxt[0] - today).days,
            report_time=nxt[1].get("report_time"),
            expected_move_perc=num(nxt[1].get("expected_move_perc")),
        )
    if last:
        out["last_report_date"] = last[0].isoformat()
        out["days_since_earnings"] = (today - last[0]).days
    return out


def summarize_net_premium(payload: Any, fetched_at: datetime) -> dict[str, Any]:
    """Net premium from flow-recent rows (ask minus bid side per right) or net-prem-ticks rows."""
    items = rows(payload)
    ncp = npp = 0.0
    call_total = put_total = 0.0
    for r in items:
        if "net_call_premium" in r or "net_put_premium" in r:
            ncp += num(r.get("net_call_premium")) or 0.0
            npp += num(r.get("net_put_premium")) or 0.0
            continue
        ncp += (num(r.get("call_premium_ask_side")) or 0.0) - (num(r.get("call_premium_bid_side")) or 0.0)
        npp += (num(r.get("put_premium_ask_side")) or 0.0) - (num(r.get("put_premium_bid_side")) or 0.0)
        call_total += num(r.get("call_premium")) or 0.0
        put_total += num(r.get("put_premium")) or 0.0
    net = ncp - npp
    gross = abs(ncp) + abs(npp)
    return {
        "rows": len(items),
        "net_call_premium": ncp,
        "net_put_premium": npp,
        "net_premium": net,
        "call_premium": call_total,
        "put_premium": put_total,
        "net_ratio": (net / gross) if gross else 0.0,
        "as_of": _newest(items, "tape_time") or iso(fetched_at),
    }


def summarize_tide(payload: Any, fetched_at: datetime) -> dict[str, Any]:
    """Market or sector tide: net premium, its sign persistence over the intervals, and a bias."""
    items = sorted(rows(payload), key=lambda r: str(r.get("timestamp") or ""))
    ncp = npp = 0.0
    cum_signs: list[int] = []
    for r in items:
        ncp += num(r.get("net_call_premium")) or 0.0
        npp += num(r.get("net_put_premium")) or 0.0
        net = ncp - npp
        cum_signs.append(1 if net > 0 else -1 if net < 0 else 0)
    # UW reports net put premium signed (negative = puts sold): bullish flow = calls bought + puts sold
    net = ncp - npp
    gross = abs(ncp) + abs(npp)
    final = cum_signs[-1] if cum_signs else 0
    persistence = (sum(1 for s in cum_signs if s == final and s != 0) / len(cum_signs)) if cum_signs else None
    flips = sum(1 for a, b in zip(cum_signs, cum_signs[1:], strict=False) if a and b and a != b)
    return {
        "intervals": len(items),
        "net_call_premium": ncp,
        "net_put_premium": npp,
        "net_premium": net,
        "tide_ratio": (net / gross) if gross else 0.0,
        "persistence": persistence,
        "sign_flips": flips,
        "bias": _sentiment(net, gross, 0.15),
        "as_of": _newest(items, "timestamp") or iso(fetched_at),
    }


def summarize_economic_calendar(payload: Any, now: datetime, horizon_days: int = 3) -> dict[str, Any]:
    items = rows(payload)
    upcoming = []
    for r in items:
        ts = parse_ts(r.get("time"))
        if ts is None:
            continue
        delta_h = (ts - now).total_seconds() / 3600.0
        if -12 <= delta_h <= horizon_days * 24:
            upcoming.append(
                {
                    "event": str(r.get("event") or "")[:120],
                    "time": iso(ts),
                    "type": r.get("type"),
                    "forecast": r.get("forecast"),
                    "prev": r.get("prev"),
                    "hours_away": round(delta_h, 1),
                }
            )
    upcoming.sort(key=lambda e: e["time"] or "")
    today = [e for e in upcoming if e["hours_away"] is not None and -12 <= e["hours_away"] <= 24]
    return {"events": upcoming[:50], "events_next_24h": len(today), "as_of": iso(now)}
