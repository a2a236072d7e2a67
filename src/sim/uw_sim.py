"""A local Unusual Whales API: spec paths, seeded payloads, real rate-limit headers, faults.

The real `uw_client` is pointed at this server in `sim` mode and in tests, so the metering,
429 handling, stale-cache fallback and malformed-payload paths of the product run for real.
Rate windows and the daily count follow the injected clock, so an accelerated session is
metered in simulated minutes, as the daemon plans it.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request

from src.core.clock import NY, Clock, RealClock
from src.core.jsonio import dumps
from src.sim import uw_payloads as fp
from src.sim import uw_stock_payloads as sp
from src.sim.market import MarketModel

TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,9}$")
FAULT_MODES = ("5xx", "timeout", "slow", "malformed", "empty", "wrong_types", "429", "none")

# Every path served, in the spec's exact spelling (tests check they are a subset of the spec).
SERVED_PATHS = (
    "/api/option-trades/flow-alerts",
    "/api/stock/{ticker}/flow-recent",
    "/api/stock/{ticker}/flow-alerts",
    "/api/darkpool/recent",
    "/api/darkpool/{ticker}",
    "/api/stock/{ticker}/greek-exposure",
    "/api/stock/{ticker}/spot-exposures",
    "/api/stock/{ticker}/iv-rank",
    "/api/stock/{ticker}/oi-change",
    "/api/stock/{ticker}/max-pain",
    "/api/stock/{ticker}/info",
    "/api/stock/{ticker}/ohlc/{candle_size}",
    "/api/market/market-tide",
    "/api/market/top-net-impact",
    "/api/market/{sector}/sector-tide",
    "/api/market/economic-calendar",
    "/api/earnings/{ticker}",
    "/api/shorts/{ticker}/interest-float",
    "/api/screener/stocks",
    "/api/stock/{ticker}/volatility/realized",
)

_MARKET = {
    "/api/option-trades/flow-alerts": fp.market_flow_alerts,
    "/api/darkpool/recent": fp.darkpool_recent,
    "/api/market/market-tide": fp.market_tide,
    "/api/market/top-net-impact": fp.top_net_impact,
    "/api/market/economic-calendar": sp.economic_calendar,
    "/api/screener/stocks": sp.screener_stocks,
}
_TICKER = {
    "/api/stock/{ticker}/flow-recent": fp.flow_recent,
    "/api/stock/{ticker}/flow-alerts": fp.stock_flow_alerts,
    "/api/darkpool/{ticker}": fp.darkpool_ticker,
    "/api/stock/{ticker}/greek-exposure": sp.greek_exposure,
    "/api/stock/{ticker}/spot-exposures": sp.spot_exposures,
    "/api/stock/{ticker}/iv-rank": sp.iv_rank,
    "/api/stock/{ticker}/oi-change": sp.oi_change,
    "/api/stock/{ticker}/max-pain": sp.max_pain,
    "/api/stock/{ticker}/info": sp.info,
    "/api/earnings/{ticker}": sp.earnings,
    "/api/shorts/{ticker}/interest-float": sp.interest_float,
    "/api/stock/{ticker}/volatility/realized": sp.realized_vol,
}


@dataclass
class Fault:
    mode: str = "none"
    paths: list[str] = field(default_factory=list)
    count: int | None = None
    delay_s: float | None = None
    status: int = 500

    def applies(self, path: str) -> bool:
        return self.mode != "none" and (not self.paths or any(path.startswith(p) for p in self.paths))


@dataclass
class SimState:
    """Mutable server state; one lock guards it (werkzeug serves requests on threads)."""

    per_minute_limit: int
    daily_limit: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event = field(default_factory=threading.Event)
    fault: Fault = field(default_factory=Fault)
    minute_window: deque = field(default_factory=deque)
    daily_count: int = 0
    daily_key: str = ""
    total: int = 0
    by_path: Counter = field(default_factory=Counter)
    by_endpoint: Counter = field(default_factory=Counter)
    status_counts: Counter = field(default_factory=Counter)

    def reset(self) -> None:
        with self.lock:
            self.fault = Fault()
            self.minute_window.clear()
            self.daily_count, self.daily_key, self.total = 0, "", 0
            self.by_path.clear()
            self.by_endpoint.clear()
            self.status_counts.clear()
        self.wake.set()
        self.wake = threading.Event()

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            f = self.fault
            if not f.applies(path):
                return None
            if f.count is not None:
                f.count -= 1
                if f.count <= 0:
                    self.fault = Fault()
            return Fault(f.mode, list(f.paths), f.count, f.delay_s, f.status)


def _error(status: int, message: str, **extra: Any) -> Response:
    resp = jsonify({"error": message, **extra})
    resp.status_code = status
    return resp


def _seconds_to_ny_midnight(now: datetime) -> int:
    local = now.astimezone(NY)
    nxt = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=NY)
    return max(1, math.ceil((nxt - local).total_seconds()))


def _admit(state: SimState, now: datetime) -> tuple[bool, int]:
    """Count a request against the windows; (admitted, retry_after_seconds)."""
    day_key = now.astimezone(NY).date().isoformat()
    with state.lock:
        if state.daily_key != day_key:
            state.daily_key, state.daily_count = day_key, 0
        window = state.minute_window
        horizon = now - timedelta(seconds=60)
        while window and window[0] <= horizon:
            window.popleft()
        if state.daily_count >= state.daily_limit:
            return False, _seconds_to_ny_midnight(now)
        if len(window) >= state.per_minute_limit:
            return False, max(1, math.ceil((window[0] - horizon).total_seconds()))
        window.append(now)
        state.daily_count += 1
        return True, 0


def _match(path: str) -> tuple[str, dict[str, str]] | None:
    """Map a concrete path onto one served spec template."""
    if path in _MARKET:
        return path, {}
    parts = path.strip("/").split("/")
    for template in SERVED_PATHS:
        tparts = template.strip("/").split("/")
        if len(tparts) != len(parts):
            continue
        args: dict[str, str] = {}
        for tp, pp in zip(tparts, parts, strict=True):
            if tp.startswith("{"):
                args[tp[1:-1]] = pp
            elif tp != pp:
                break
        else:
            return template, args
    return None


def _wrong_types(obj: Any) -> Any:
    """Swap every leaf to a plausible-but-wrong JSON type, like a vendor schema drift."""
    if isinstance(obj, dict):
        return {k: _wrong_types(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_wrong_types(v) for v in obj]
    if isinstance(obj, bool):
        return "yes" if obj else "no"
    if isinstance(obj, (int, float)):
        return f"{obj}!"
    if isinstance(obj, str):
        return {"value": obj} if len(obj) % 2 else None
    return 42


def _body(model: MarketModel, now: datetime, template: str, args: dict[str, str]) -> dict:
    q = request.args
    if template in _MARKET:
        return _MARKET[template](model, now, q)
    if template == "/api/market/{sector}/sector-tide":
        return fp.sector_tide(model, now, args["sector"], q)
    ticker = args["ticker"]
    if template == "/api/stock/{ticker}/ohlc/{candle_size}":
        return sp.ohlc(model, now, ticker, args["candle_size"], q)
    return _TICKER[template](model, now, ticker, q)


def create_app(seed: int = 7, clock: Clock | None = None, per_minute_limit: int = 500,
               daily_limit: int = 80000, require_key: bool = True) -> Flask:
    """Build the simulator app; serve it with werkzeug's make_server(host, port, app, threaded=True)."""
    clock = clock or RealClock()
    model = MarketModel.shared(seed)
    state = SimState(per_minute_limit, daily_limit)
    app = Flask("uw_sim")
    app.config["SIM_STATE"] = state
    app.config["SIM_MODEL"] = model

    @app.before_request
    def _gate() -> Response | None:
        if request.path.startswith("/_sim/"):
            return None
        auth = request.headers.get("Authorization", "")
        if require_key and (not auth.startswith("Bearer ") or not auth[7:].strip()):
            return _error(401, "missing or invalid bearer token")
        admitted, retry = _admit(state, clock.now())
        if not admitted:
            resp = _error(429, "rate limit exceeded")
            resp.headers["Retry-After"] = str(retry)
            return resp
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        if request.path.startswith("/_sim/"):
            return resp
        with state.lock:
            state.total += 1
            state.by_path[request.path] += 1
            state.status_counts[str(resp.status_code)] += 1
            resp.headers["x-uw-daily-req-count"] = str(state.daily_count)
            resp.headers["x-uw-token-req-limit"] = str(state.daily_limit)
            resp.headers["x-uw-minute-req-counter"] = str(len(state.minute_window))
            resp.headers["x-uw-req-per-minute-limit"] = str(state.per_minute_limit)
            resp.headers["x-uw-req-per-minute-remaining"] = str(max(0, state.per_minute_limit - len(state.minute_window)))
        return resp

    @app.route("/api/<path:rest>", methods=["GET"])
    def _api(rest: str) -> Response:
        path = "/api/" + rest
        matched = _match(path)
        if matched is None:
            return _error(404, "not found", path=path)
        template, args = matched
        with state.lock:
            state.by_endpoint[template] += 1
        if "ticker" in args and not TICKER_RE.match(args["ticker"]):
            return _error(422, "invalid ticker", ticker=args["ticker"])
        if "ticker" in args:
            args["ticker"] = args["ticker"].upper()
        fault = state.take_fault(path)
        if fault is not None:
            early = _apply_fault_before(fault, state)
            if early is not None:
                return early
        try:
            body = _body(model, clock.now(), template, args)
        except fp.BadRequest as exc:
            return _error(422, str(exc))
        if fault is not None:
            return _apply_fault_after(fault, body)
        return jsonify(body)

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Response:
        return _error(404, "not found", path=request.path)

    @app.errorhandler(405)
    def _not_allowed(_exc: Exception) -> Response:
        return _error(405, "method not allowed", path=request.path)

    _control_routes(app, state)
    return app


def _apply_fault_before(f: Fault, state: SimState) -> Response | None:
    wake = state.wake
    if f.mode == "5xx":
        return _error(f.status if 500 <= f.status < 600 else 500, "simulated server error")
    if f.mode == "429":
        resp = _error(429, "rate limit exceeded (simulated)")
        resp.headers["Retry-After"] = str(max(1, math.ceil(f.delay_s or 1)))
        return resp
    if f.mode == "timeout":
        wake.wait(f.delay_s if f.delay_s is not None else 30.0)
        return _error(504, "simulated gateway timeout")
    if f.mode == "slow":
        wake.wait(f.delay_s if f.delay_s is not None else 2.0)
    return None


def _apply_fault_after(f: Fault, body: dict) -> Response:
    if f.mode == "malformed":
        raw = dumps(body)
        return Response(raw[: max(1, len(raw) // 2)] + b'{"', status=200, mimetype="application/json")
    if f.mode == "empty":
        return jsonify({"data": []})
    if f.mode == "wrong_types":
        return jsonify(_wrong_types(body))
    return jsonify(body)


def _control_routes(app: Flask, state: SimState) -> None:
    @app.post("/_sim/faults")
    def _faults() -> Response:
        spec = request.get_json(silent=True) or {}
        mode = spec.get("mode", "none")
        if mode not in FAULT_MODES:
            return _error(400, f"mode must be one of {', '.join(FAULT_MODES)}")
        try:
            count = None if spec.get("count") is None else int(spec["count"])
            delay = None if spec.get("delay_s") is None else float(spec["delay_s"])
            status = int(spec.get("status", 500))
        except (TypeError, ValueError):
            return _error(400, "count must be an int, delay_s a number")
        paths = [str(p) for p in spec.get("paths") or []]
        with state.lock:
            state.fault = Fault(mode, paths, count, delay, status)
        if mode == "none":
            state.wake.set()
            state.wake = threading.Event()
        return jsonify({"ok": True, "fault": state.fault.__dict__})

    @app.get("/_sim/faults")
    def _faults_get() -> Response:
        with state.lock:
            return jsonify(state.fault.__dict__)

    @app.get("/_sim/stats")
    def _stats() -> Response:
        with state.lock:
            return jsonify({"total": state.total, "by_path": dict(state.by_path),
                            "by_endpoint": dict(state.by_endpoint), "status_counts": dict(state.status_counts),
                            "daily_count": state.daily_count, "minute_count": len(state.minute_window)})

    @app.post("/_sim/reset")
    def _reset() -> Response:
        state.reset()
        return jsonify({"ok": True})
