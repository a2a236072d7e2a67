"""UW simulator bodies for per-stock reference data: greeks, volatility, candles, fundamentals.

Like `uw_payloads`, each builder is pure in (model, now, arguments) and follows the official
response schema's field names and JSON types.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

from src.core.clock import NY
from src.sim.market import MarketModel, data_session, previous_sessions, session_of
from src.sim.uw_payloads import (
    CANDLE_MINUTES,
    CANDLE_SIZES,
    BadRequest,
    Query,
    _net_premium_by_symbol,
    dec,
    int_param,
    iso,
)


def _sessions(now: datetime, n: int) -> list:
    """The data session and the n-1 before it, newest first."""
    s = data_session(now)
    if s is None:
        return []
    return [s, *previous_sessions(s.day, n - 1)]


def _rng(m: MarketModel, *parts: object) -> random.Random:
    return random.Random(":".join(map(str, (m.seed, *parts))))


def _close(m: MarketModel, sym: str, s, now: datetime) -> float:
    return m.price(sym, min(now, s.close))


def greek_exposure(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    p = m.profile(ticker)
    out = []
    for s in _sessions(now, 30):
        r = _rng(m, "gex", ticker, s.day)
        px = _close(m, ticker, s, now)
        scale = p.marketcap / 1e4 * (0.5 + p.activity)
        out.append({
            "call_charm": dec(scale * r.uniform(0.3, 1.2), 4), "call_delta": dec(scale * r.uniform(2, 6), 4),
            "call_gamma": dec(scale * r.uniform(0.1, 0.4) / px * 100, 4),
            "call_vanna": dec(scale * r.uniform(50, 200), 4), "date": s.day.isoformat(),
            "put_charm": dec(-scale * r.uniform(0.3, 1.5), 4), "put_delta": dec(-scale * r.uniform(2, 6), 4),
            "put_gamma": dec(-scale * r.uniform(0.1, 0.45) / px * 100, 4),
            "put_vanna": dec(scale * r.uniform(50, 250), 4),
        })
    return {"data": out}


def spot_exposures(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    s = data_session(now)
    if s is None:
        return {"data": []}
    p = m.profile(ticker)
    end = min(now, s.close)
    base = p.marketcap / 1e3 * (0.5 + p.activity)
    lean = _rng(m, "spot", ticker, s.day).uniform(-0.6, 1.0)
    out, t = [], s.open
    while t <= end:
        px = m.price(ticker, t)
        wobble = math.sin(t.timestamp() / 1700.0 + len(ticker))
        gamma = base * (lean + 0.3 * wobble)
        out.append({
            "charm_per_one_percent_move_dir": dec(gamma * 9.1), "charm_per_one_percent_move_oi": dec(gamma * 70.0),
            "charm_per_one_percent_move_vol": dec(gamma * 4.4), "gamma_per_one_percent_move_dir": dec(gamma * 0.08),
            "gamma_per_one_percent_move_oi": dec(gamma), "gamma_per_one_percent_move_vol": dec(gamma * 0.2),
            "price": dec(px), "time": iso(t), "vanna_per_one_percent_move_dir": dec(-gamma * 5.2),
            "vanna_per_one_percent_move_oi": dec(-gamma * 0.83), "vanna_per_one_percent_move_vol": dec(-gamma * 0.085),
        })
        t += timedelta(minutes=1)
    return {"data": out}


def _realized_vol(m: MarketModel, ticker: str, sessions: list, now: datetime) -> float:
    closes = [_close(m, ticker, s, now) for s in sessions]
    rets = [math.log(a / b) for a, b in zip(closes, closes[1:], strict=False) if a > 0 and b > 0]
    if len(rets) < 2:
        return m.profile(ticker).daily_vol * math.sqrt(252)
    mean = sum(rets) / len(rets)
    return math.sqrt(sum((r - mean) ** 2 for r in rets) / (len(rets) - 1) * 252)


def iv_rank(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    sessions = _sessions(now, 50)
    out = []
    for i, s in enumerate(sessions[:30]):
        rv = _realized_vol(m, ticker, sessions[i:i + 20], now)
        r = _rng(m, "iv", ticker, s.day)
        iv = rv * r.uniform(0.95, 1.35)
        out.append({"close": dec(_close(m, ticker, s, now)), "date": s.day.isoformat(),
                    "iv_rank_1y": dec(min(1.0, max(0.0, (iv - 0.12) / 0.8)), 4),
                    "updated_at": iso(min(now, s.close)), "volatility": dec(iv, 4)})
    out.reverse()
    return {"data": out}


def realized_vol(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    sessions = _sessions(now, 50)
    out = []
    for i, s in enumerate(sessions[:30]):
        rv = _realized_vol(m, ticker, sessions[i:i + 20], now)
        iv = rv * _rng(m, "iv", ticker, s.day).uniform(0.95, 1.35)
        out.append({"date": s.day.isoformat(), "implied_volatility": dec(iv, 4),
                    "price": dec(_close(m, ticker, s, now)), "realized_volatility": dec(rv, 4),
                    "unshifted_rv_date": (s.day + timedelta(days=28)).isoformat()})
    out.reverse()
    return {"data": out}


def _expiries(day: date, n: int) -> list[date]:
    first = day + timedelta(days=(4 - day.weekday()) % 7)
    return [first + timedelta(weeks=i) for i in range(n)]


def oi_change(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    order = (q.get("order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc")
    limit = int_param(q, "limit", 50, 1, None) or 50
    sessions = _sessions(now, 2)
    if not sessions:
        return {"data": []}
    s = sessions[0]
    prev_day = sessions[1].day if len(sessions) > 1 else s.day - timedelta(days=1)
    px = _close(m, ticker, s, now)
    r = _rng(m, "oi", ticker, s.day)
    step = 1.0 if px < 100 else 5.0
    rows = []
    for i, expiry in enumerate(_expiries(s.day, 6) * 4):
        is_call = i % 2 == 0
        strike = round(px * (1 + r.uniform(-0.08, 0.1)) / step) * step
        last_oi = r.randint(200, 40000)
        diff = int(last_oi * r.uniform(-0.3, 3.0))
        fill = max(0.05, abs(px - strike) * 0.3 + px * 0.01 * r.uniform(0.5, 3))
        vol = abs(diff) + r.randint(100, 5000)
        chain = f"{ticker}{expiry:%y%m%d}{'C' if is_call else 'P'}{int(strike * 1000):08d}"
        rows.append({
            "avg_price": dec(fill * r.uniform(0.9, 1.1), 4), "curr_date": s.day.isoformat(),
            "curr_oi": last_oi + diff, "last_ask": dec(fill * 1.02), "last_bid": dec(fill * 0.98),
            "last_date": prev_day.isoformat(), "last_fill": dec(fill), "last_oi": last_oi,
            "oi_change": dec(diff / last_oi, 6), "oi_diff_plain": diff, "option_symbol": chain,
            "percentage_of_total": dec(r.uniform(0.001, 0.1), 6), "prev_ask_volume": int(vol * 0.5),
            "prev_bid_volume": int(vol * 0.35), "prev_mid_volume": int(vol * 0.1),
            "prev_multi_leg_volume": int(vol * 0.05), "prev_neutral_volume": int(vol * 0.1),
            "prev_stock_multi_leg_volume": 0, "prev_total_premium": dec(vol * fill * 100),
            "rnk": i + 1, "trades": r.randint(5, 900), "underlying_symbol": ticker, "volume": vol,
        })
    rows.sort(key=lambda x: x["oi_diff_plain"], reverse=order == "desc")
    return {"data": rows[:limit]}


def max_pain(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    day = (data_session(now) or session_of(now.date()) or data_session(now + timedelta(days=5)))
    d = day.day if day else now.astimezone(NY).date()
    px = m.price(ticker, now)
    step = 1.0 if px < 100 else 5.0
    r = _rng(m, "maxpain", ticker, d)
    rows = [{"expiry": e.isoformat(), "max_pain": f"{round(px * (1 + r.uniform(-0.04, 0.04)) / step) * step:g}"}
            for e in _expiries(d, 8)]
    return {"data": rows, "date": d.isoformat()}


def info(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    p = m.profile(ticker)
    nxt = now.astimezone(NY).date() + timedelta(days=int(_rng(m, "er", ticker).uniform(3, 80)))
    return {"data": {
        "announce_time": "postmarket", "avg30_volume": str(int(p.shares_out * 0.006 * (0.5 + p.activity))),
        "beta": dec(0.6 + p.daily_vol * 40), "full_name": p.name, "has_dividend": p.drift < 0.1,
        "has_earnings_history": p.issue_type != "ETF", "has_investment_arm": False, "has_options": True,
        "issue_type": p.issue_type, "logo": f"https://sim.invalid/logos/{ticker}.png",
        "marketcap": str(int(p.marketcap)), "marketcap_size": "big" if p.marketcap > 1e10 else "mid",
        "next_earnings_date": nxt.isoformat(), "sector": p.sector,
        "short_description": f"{p.name} is a simulated {p.sector.lower()} company.", "symbol": ticker,
        "uw_tags": [],
    }}


def _candle(m: MarketModel, ticker: str, start: datetime, end: datetime, s, total: int) -> tuple[dict, int]:
    minutes = max(1, int((end - start).total_seconds() // 60))
    n = minutes if minutes <= 240 else 14  # long candles: sample the path, not every minute
    pts = [m.price(ticker, start + (end - start) * i / n) for i in range(n + 1)]
    step = minutes / n
    vol = int(sum(m.volume_per_minute(ticker, start + timedelta(minutes=i * step)) for i in range(n)) * step)
    total += vol
    market_time = "r" if s and s.open <= start < s.close else ("pr" if s and start < s.open else "po")
    return ({"close": dec(pts[-1]), "end_time": iso(end), "high": dec(max(pts)), "low": dec(min(pts)),
             "market_time": market_time, "open": dec(pts[0]), "start_time": iso(start),
             "total_volume": total, "volume": vol}, total)


def ohlc(m: MarketModel, now: datetime, ticker: str, candle_size: str, q: Query) -> dict:
    if candle_size not in CANDLE_SIZES:
        raise BadRequest(f"candle_size must be one of {', '.join(CANDLE_SIZES)}")
    limit = int_param(q, "limit", None, 1, 2500)
    out: list[dict] = []
    if candle_size in CANDLE_MINUTES:
        step = timedelta(minutes=CANDLE_MINUTES[candle_size])
        s = data_session(now)
        if s is None:
            return {"data": []}
        t, total = s.open, 0
        end = min(now, s.close)
        while t + step <= end + timedelta(seconds=1):
            c, total = _candle(m, ticker, t, t + step, s, total)
            out.append(c)
            t += step
    else:
        n = min(limit or 250, 2500)
        sessions = list(reversed(_sessions(now, n * (5 if candle_size == "1w" else 1))))
        groups: list[list] = []
        for s in sessions:
            if candle_size == "1d" or not groups or s.day.isocalendar()[1] != groups[-1][0].day.isocalendar()[1]:
                groups.append([s])
            else:
                groups[-1].append(s)
        groups = groups[-n:]
        total = 0
        for g in groups:
            c, total = _candle(m, ticker, g[0].open, min(now, g[-1].close), g[-1], total)
            c["market_time"] = "r"
            out.append(c)
    out.reverse()
    return {"data": out[:limit] if limit else out}


def economic_calendar(m: MarketModel, now: datetime, q: Query) -> dict:
    names = (("CPI", "report"), ("Initial jobless claims", "report"), ("FOMC rate decision", "fomc"),
             ("Fed Chair speech", "fed-speaker"), ("Retail sales", "report"), ("PCE index", "report"))
    base = now.astimezone(NY).date()
    out = []
    for offset in range(-3, 11):
        d = base + timedelta(days=offset)
        r = _rng(m, "econ", d)
        if d.weekday() >= 5 or r.random() < 0.4:
            continue
        name, kind = names[r.randrange(len(names))]
        when = datetime(d.year, d.month, d.day, 8 if kind == "report" else 14, 30, tzinfo=NY)
        out.append({"event": name, "forecast": f"{r.uniform(0.1, 4):.1f}%", "prev": f"{r.uniform(0.1, 4):.1f}%",
                    "reported_period": f"{d - timedelta(days=30):%B}", "time": iso(when), "type": kind})
    return {"data": out}


def earnings(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    out = []
    day = now.astimezone(NY).date()
    for qn in range(8):
        quarter_end = date(day.year, ((day.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1 + 91 * qn)
        r = _rng(m, "earn", ticker, quarter_end)
        est = r.uniform(0.2, 5.0)

        def mv(r: random.Random = r) -> str:
            return dec(r.uniform(-0.08, 0.1), 4)

        out.append({
            "actual_eps": dec(est * r.uniform(0.85, 1.2)), "ending_fiscal_quarter": quarter_end.isoformat(),
            "expected_move": dec(m.price(ticker, now) * r.uniform(0.02, 0.08)), "expected_move_perc": dec(r.uniform(0.02, 0.08), 4),
            "long_straddle_1d": mv(), "long_straddle_1w": mv(), "post_earnings_move_1d": mv(),
            "post_earnings_move_1w": mv(), "post_earnings_move_2w": mv(), "post_earnings_move_3d": mv(),
            "pre_earnings_move_1d": mv(), "pre_earnings_move_1w": mv(), "pre_earnings_move_2w": mv(),
            "pre_earnings_move_3d": mv(), "report_date": (quarter_end + timedelta(days=28)).isoformat(),
            "report_time": r.choice(("premarket", "postmarket")), "short_straddle_1d": mv(),
            "short_straddle_1w": mv(), "source": "company", "street_mean_est": dec(est),
        })
    return {"data": out}


def interest_float(m: MarketModel, now: datetime, ticker: str, q: Query) -> dict:
    p = m.profile(ticker)
    r = _rng(m, "si", ticker, now.astimezone(NY).date().isoformat()[:7])
    pct = r.uniform(0.5, 25.0) if p.easy_to_borrow else r.uniform(20.0, 45.0)
    flt = int(p.shares_out * 0.9)
    return {"data": {"created_at": iso(now), "days_to_cover_returned": dec(r.uniform(0.5, 8)),
                     "market_date": now.astimezone(NY).date().isoformat(), "percent_returned": dec(pct),
                     "si_float_returned": int(flt * pct / 100), "symbol": ticker, "total_float_returned": flt}}


def screener_stocks(m: MarketModel, now: datetime, q: Query) -> dict:
    wanted = [t.strip().upper() for t in (q.get("ticker") or "").split(",") if t.strip()]
    symbols = wanted or m.universe()
    agg = _net_premium_by_symbol(m, now)
    sessions = _sessions(now, 2)
    s = sessions[0] if sessions else None
    prev = sessions[1] if len(sessions) > 1 else None
    rows = []
    for sym in symbols:
        p, a = m.profile(sym), agg.get(sym, {})
        r = _rng(m, "scr", sym, s.day if s else "")
        close = m.price(sym, min(now, s.close)) if s else m.price(sym, now)
        prev_close = m.price(sym, prev.close) if prev else close
        cv, pv = int(a.get("call_volume", 0)), int(a.get("put_volume", 0))
        call_oi, put_oi = int(p.shares_out * 0.004 * p.activity), int(p.shares_out * 0.003 * p.activity)
        iv = p.daily_vol * math.sqrt(252) * r.uniform(1.0, 1.3)
        rows.append({
            "avg_30_day_call_volume": dec(cv * r.uniform(0.7, 1.3) + 10, 6), "avg_30_day_put_volume": dec(pv * r.uniform(0.7, 1.3) + 10, 6),
            "avg_3_day_call_volume": dec(cv * r.uniform(0.8, 1.2) + 10, 6), "avg_3_day_put_volume": dec(pv * r.uniform(0.8, 1.2) + 10, 6),
            "avg_7_day_call_volume": dec(cv * r.uniform(0.8, 1.2) + 10, 6), "avg_7_day_put_volume": dec(pv * r.uniform(0.8, 1.2) + 10, 6),
            "bearish_premium": dec(a.get("bearish_premium", 0), 0), "bullish_premium": dec(a.get("bullish_premium", 0), 0),
            "call_open_interest": call_oi, "call_premium": dec(a.get("call_premium", 0), 0), "call_volume": cv,
            "call_volume_ask_side": int(a.get("call_volume_ask_side", 0)), "call_volume_bid_side": int(a.get("call_volume_bid_side", 0)),
            "close": dec(close), "date": (s.day if s else now.date()).isoformat(), "er_time": "unknown",
            "implied_move": dec(close * iv / math.sqrt(252), 6), "implied_move_perc": dec(iv / math.sqrt(252), 6),
            "is_index": False, "issue_type": p.issue_type, "iv30d": dec(iv, 6), "iv30d_1d": dec(iv * r.uniform(0.9, 1.1), 6),
            "iv30d_1m": dec(iv * r.uniform(0.8, 1.2), 6), "iv30d_1w": dec(iv * r.uniform(0.9, 1.1), 6),
            "iv_rank": dec(r.uniform(5, 95), 6), "marketcap": str(int(close * p.shares_out)),
            "net_call_premium": dec(a.get("net_call_premium", 0), 0), "net_put_premium": dec(a.get("net_put_premium", 0), 0),
            "next_dividend_date": None, "next_earnings_date": (now.date() + timedelta(days=r.randint(3, 80))).isoformat(),
            "prev_call_oi": int(call_oi * r.uniform(0.9, 1.1)), "prev_close": dec(prev_close),
            "prev_put_oi": int(put_oi * r.uniform(0.9, 1.1)), "put_call_ratio": dec(pv / cv if cv else 1.0, 6),
            "put_open_interest": put_oi, "put_premium": dec(a.get("put_premium", 0), 0), "put_volume": pv,
            "put_volume_ask_side": int(a.get("put_volume_ask_side", 0)), "put_volume_bid_side": int(a.get("put_volume_bid_side", 0)),
            "relative_volume": dec(r.uniform(0.4, 2.5), 6), "sector": p.sector, "ticker": sym,
            "total_open_interest": call_oi + put_oi, "volatility": dec(iv * 0.9, 6),
            "week_52_high": dec(close * r.uniform(1.05, 1.6)), "week_52_low": dec(close * r.uniform(0.5, 0.95)),
        })
    order = q.get("order") or "premium"
    key = {"premium": lambda x: float(x["call_premium"]) + float(x["put_premium"]),
           "net_premium": lambda x: float(x["net_call_premium"]) - float(x["net_put_premium"])}.get(
        order, lambda x: _as_float(x.get(order)))
    rows.sort(key=key, reverse=(q.get("order_direction") or "desc") == "desc")
    return {"data": rows}


def _as_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0

