"""A local Alpaca Trading + Market Data REST API for alpaca-py 0.44, backed by the sim ledger.

TradingClient and StockHistoricalDataClient are both pointed here with `url_override`; they send
`/v2/...` paths with APCA-API-KEY-ID / APCA-API-SECRET-KEY headers. Prices come from the shared
market model at the injected clock, so fills agree with the UW simulator at the same moment.
Vendor behaviour kept on purpose: a duplicate client_order_id is a 422; market orders sent while
the market is closed are accepted and fill at the next open; unfilled day orders expire at the
close; submit answers with the pre-fill snapshot, as Alpaca does (poll the order to see the fill).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

from src.core.clock import Clock, RealClock
from src.sim.alpaca_views import FAULT_MODES, SYMBOL_RE, AlpacaSim, api_error, order_json
from src.sim.broker_ledger import OPEN_STATUSES, Broker, BrokerError, OrderRec
from src.sim.market import MarketModel

CLOSED_STATUSES = frozenset({"filled", "canceled", "expired", "rejected", "done_for_day", "replaced"})


def create_app(ledger_path: Path, clock: Clock | None = None, seed: int = 7, starting_cash: float = 100_000.0,
               shortable: set[str] | None = None) -> Flask:
    """Build the simulator; serve it with werkzeug's make_server(host, port, app, threaded=True)."""
    clock = clock or RealClock()
    model = MarketModel.shared(seed)
    sim = AlpacaSim(Broker(ledger_path, clock, model, starting_cash, shortable), model, clock)
    app = Flask("alpaca_sim")
    app.config["SIM"] = sim

    @app.before_request
    def _gate() -> Response | None:
        if request.path.startswith("/_sim/"):
            return None
        key = request.headers.get("APCA-API-KEY-ID", "").strip()
        secret = request.headers.get("APCA-API-SECRET-KEY", "").strip()
        if not key or not secret:
            return api_error(401, 40110000, "request is not authorized")
        fault = sim.take_fault(request.path, request.method)
        request.environ["sim.fault"] = fault
        if fault and fault["mode"] == "5xx":
            return api_error(int(fault.get("status") or 500), 50010000, "simulated internal server error")
        sim.broker.process(clock.now())
        return None

    @app.after_request
    def _late(resp: Response) -> Response:
        fault = request.environ.get("sim.fault")
        if fault and fault["mode"] == "timeout":
            # processed for real, answered late: the client cannot know whether it happened
            sim.wake.wait(float(fault.get("delay_s") or 30.0))
        return resp

    @app.errorhandler(BrokerError)
    def _broker_error(exc: BrokerError) -> Response:
        return api_error(exc.status, exc.code, exc.message)

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Response:
        return api_error(404, 40410000, "endpoint not found")

    @app.errorhandler(405)
    def _not_allowed(_exc: Exception) -> Response:
        return api_error(405, 40510000, "method not allowed")

    _trading_routes(app, sim, clock)
    _data_routes(app, sim, clock)
    _control_routes(app, sim)
    return app


def _symbol(raw: str) -> str:
    symbol = raw.upper()
    if not SYMBOL_RE.match(symbol):
        raise BrokerError(404, 40410000, f"asset not found for {raw}")
    return symbol


def _find_order(sim: AlpacaSim, order_id: str) -> OrderRec:
    order = sim.broker.ledger.orders.get(order_id)
    if order is None:
        raise BrokerError(404, 40410000, "order not found")
    return order


def _parse_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _trading_routes(app: Flask, sim: AlpacaSim, clock: Clock) -> None:
    broker = sim.broker

    @app.get("/v2/account")
    def account() -> Response:
        return jsonify(sim.account_json(clock.now()))

    @app.get("/v2/clock")
    def market_clock() -> Response:
        return jsonify(sim.clock_json(clock.now()))

    @app.get("/v2/assets")
    def assets() -> Response:
        return jsonify([sim.asset_json(s) for s in sim.model.universe()])

    @app.get("/v2/assets/<symbol>")
    def asset(symbol: str) -> Response:
        return jsonify(sim.asset_json(_symbol(symbol)))

    @app.get("/v2/positions")
    def positions() -> Response:
        now = clock.now()
        with broker.lock:
            return jsonify([sim.position_json(s, now) for s in sorted(broker.ledger.positions)])

    @app.get("/v2/positions/<symbol>")
    def position(symbol: str) -> Response:
        symbol = _symbol(symbol)
        with broker.lock:
            if symbol not in broker.ledger.positions:
                raise BrokerError(404, 40410000, "position does not exist")
            return jsonify(sim.position_json(symbol, clock.now()))

    @app.delete("/v2/positions/<symbol>")
    def close_position(symbol: str) -> Response:
        qty, pct = request.args.get("qty"), request.args.get("percentage")
        order = broker.close_position(_symbol(symbol), float(qty) if qty else None, float(pct) if pct else None)
        return jsonify(order_json(order))

    @app.post("/v2/orders")
    def submit() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BrokerError(422, 40010001, "request body must be a JSON object")
        return jsonify(order_json(broker.submit(body, request.environ.get("sim.fault"))))

    @app.get("/v2/orders")
    def list_orders() -> Response:
        status = request.args.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise BrokerError(422, 40010001, "status must be open, closed or all")
        limit = min(int(request.args.get("limit") or 50), 500)
        symbols = {s.strip().upper() for s in (request.args.get("symbols") or "").split(",") if s.strip()}
        side = request.args.get("side")
        after, until = _parse_time(request.args.get("after")), _parse_time(request.args.get("until"))
        with broker.lock:
            rows = [o for o in broker.ledger.orders.values()
                    if (status == "all" or (status == "open") == (o.status in OPEN_STATUSES))
                    and (not symbols or o.symbol in symbols) and (not side or o.side == side)
                    and (after is None or o.created_at > after) and (until is None or o.created_at < until)]
            rows.sort(key=lambda o: o.created_at, reverse=request.args.get("direction", "desc") == "desc")
            return jsonify([order_json(o) for o in rows[:limit]])

    @app.get("/v2/orders:by_client_order_id")
    def order_by_client_id() -> Response:
        coid = request.args.get("client_order_id", "")
        with broker.lock:
            oid = broker.ledger.client_ids.get(coid)
            if oid is None:
                raise BrokerError(404, 40410000, "order not found")
            return jsonify(order_json(broker.ledger.orders[oid]))

    @app.get("/v2/orders/<order_id>")
    def order(order_id: str) -> Response:
        with broker.lock:
            return jsonify(order_json(_find_order(sim, order_id)))

    @app.delete("/v2/orders/<order_id>")
    def cancel(order_id: str) -> Response:
        broker.cancel(order_id)
        return Response(status=204)

    @app.delete("/v2/orders")
    def cancel_all() -> Response:
        canceled = broker.cancel_all()
        resp = jsonify([{"id": o.id, "status": 200, "body": order_json(o)} for o in canceled])
        resp.status_code = 207
        return resp


def _quote(sim: AlpacaSim, symbol: str, now: datetime) -> dict[str, Any]:
    bid, ask = sim.model.spread(symbol, now)
    size = max(1, sim.model.volume_per_minute(symbol, now) // 2000)
    return {"t": now.isoformat().replace("+00:00", "Z"), "ap": ask, "as": size, "ax": "V",
            "bp": bid, "bs": size + 1, "bx": "V", "c": ["R"], "z": "C" if symbol in ("SPY", "IWM") else "A"}


def _trade(sim: AlpacaSim, symbol: str, now: datetime) -> dict[str, Any]:
    return {"t": now.isoformat().replace("+00:00", "Z"), "p": sim.model.price(symbol, now), "s": 100, "x": "V",
            "i": int(now.timestamp() * 1000) % 10**12, "c": ["@"], "z": "A"}


def _data_routes(app: Flask, sim: AlpacaSim, clock: Clock) -> None:
    def symbols() -> list[str]:
        raw = request.args.get("symbols") or ""
        out = [_symbol(s.strip()) for s in raw.split(",") if s.strip()]
        if not out:
            raise BrokerError(400, 40010001, "symbols is required")
        return out

    @app.get("/v2/stocks/quotes/latest")
    def latest_quotes() -> Response:
        now = clock.now()
        return jsonify({"quotes": {s: _quote(sim, s, now) for s in symbols()}})

    @app.get("/v2/stocks/trades/latest")
    def latest_trades() -> Response:
        now = clock.now()
        return jsonify({"trades": {s: _trade(sim, s, now) for s in symbols()}})

    @app.get("/v2/stocks/<symbol>/quotes/latest")
    def latest_quote(symbol: str) -> Response:
        symbol = _symbol(symbol)
        return jsonify({"symbol": symbol, "quote": _quote(sim, symbol, clock.now())})

    @app.get("/v2/stocks/<symbol>/trades/latest")
    def latest_trade(symbol: str) -> Response:
        symbol = _symbol(symbol)
        return jsonify({"symbol": symbol, "trade": _trade(sim, symbol, clock.now())})


def _control_routes(app: Flask, sim: AlpacaSim) -> None:
    @app.post("/_sim/faults")
    def faults() -> Response:
        spec = request.get_json(silent=True) or {}
        mode = spec.get("mode", "none")
        if mode not in FAULT_MODES:
            return api_error(400, 40010001, f"mode must be one of {', '.join(FAULT_MODES)}")
        try:
            fault = {"mode": mode, "count": None if spec.get("count") is None else int(spec["count"]),
                     "delay_s": None if spec.get("delay_s") is None else float(spec["delay_s"]),
                     "fraction": float(spec.get("fraction") or 0.5), "status": int(spec.get("status") or 500),
                     "paths": [str(p) for p in spec.get("paths") or []]}
        except (TypeError, ValueError):
            return api_error(400, 40010001, "count must be an int; delay_s, fraction numbers")
        with sim.lock:
            sim.fault = fault
        if mode == "none":
            sim.wake.set()
            sim.wake = type(sim.wake)()
        return jsonify({"ok": True, "fault": fault})

    @app.get("/_sim/ledger")
    def ledger() -> Response:
        with sim.broker.lock:
            sim.broker.process(sim.clock.now())
            body = sim.broker.ledger.model_dump(mode="json")
        body["account"] = sim.account_json(sim.clock.now())
        return jsonify(body)

    @app.post("/_sim/reset")
    def reset() -> Response:
        with sim.lock:
            sim.fault = {"mode": "none"}
        sim.broker.reset()
        return jsonify({"ok": True})
