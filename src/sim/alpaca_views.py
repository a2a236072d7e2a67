"""JSON views of the simulated broker in the exact shapes alpaca-py 0.44's models parse.

Field names and JSON types follow alpaca-py's pydantic models (Order, Position, TradeAccount,
Asset, Clock) so the real client code path parses them without a single adapter.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Response, jsonify

from src.core.clock import NY, Clock, MarketCalendar
from src.sim.broker_ledger import OPEN_STATUSES, Broker, OrderRec
from src.sim.market import MarketModel

SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
FAULT_MODES = ("5xx", "timeout", "reject", "partial", "none")
_NS = uuid.UUID("6f1c1d2e-5a7b-4c1e-9d3a-2b8f0e4a7c10")
_EXCHANGES = ("NASDAQ", "NYSE", "ARCA")


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def _s(x: float | None) -> str | None:
    return None if x is None else f"{x:.10g}"


def _asset_id(symbol: str) -> str:
    return str(uuid.uuid5(_NS, symbol))


def api_error(status: int, code: int, message: str) -> Response:
    resp = jsonify({"code": code, "message": message})
    resp.status_code = status
    return resp


def order_json(o: OrderRec) -> dict[str, Any]:
    return {
        "id": o.id, "client_order_id": o.client_order_id, "created_at": _iso(o.created_at),
        "updated_at": _iso(o.updated_at), "submitted_at": _iso(o.created_at), "filled_at": _iso(o.filled_at),
        "expired_at": _iso(o.expired_at), "expires_at": _iso(o.expires_at), "canceled_at": _iso(o.canceled_at),
        "failed_at": _iso(o.failed_at), "replaced_at": None, "replaced_by": None, "replaces": None,
        "asset_id": _asset_id(o.symbol), "symbol": o.symbol, "asset_class": "us_equity",
        "notional": _s(o.notional), "qty": _s(o.qty), "filled_qty": _s(o.filled_qty) or "0",
        "filled_avg_price": _s(o.filled_avg_price), "order_class": "simple", "order_type": o.type, "type": o.type,
        "side": o.side, "position_intent": None, "time_in_force": o.time_in_force,
        "limit_price": _s(o.limit_price), "stop_price": None, "status": o.status, "extended_hours": False,
        "legs": None, "trail_percent": None, "trail_price": None, "hwm": None,
    }


class AlpacaSim:
    """Request handlers over one Broker; kept apart from Flask wiring so tests can reach the broker."""

    def __init__(self, broker: Broker, model: MarketModel, clock: Clock) -> None:
        self.broker, self.model, self.clock = broker, model, clock
        self.calendar = MarketCalendar()
        self.lock = threading.Lock()
        self.fault: dict[str, Any] = {"mode": "none"}
        self.wake = threading.Event()

    def take_fault(self, path: str, method: str) -> dict[str, Any] | None:
        with self.lock:
            f = self.fault
            if f.get("mode", "none") == "none":
                return None
            if f["mode"] in ("reject", "partial") and not (method == "POST" and path == "/v2/orders"):
                return None
            if f.get("paths") and not any(path.startswith(p) for p in f["paths"]):
                return None
            if f.get("count") is not None:
                f["count"] -= 1
                if f["count"] <= 0:
                    self.fault = {"mode": "none"}
            return dict(f)

    def asset_json(self, symbol: str) -> dict[str, Any]:
        p = self.model.profile(symbol)
        shortable, etb = self.broker.is_shortable(symbol)
        return {
            "id": _asset_id(symbol), "class": "us_equity",
            "exchange": "ARCA" if p.issue_type == "ETF" else _EXCHANGES[len(symbol) % 2], "symbol": symbol,
            "name": p.name, "status": "active", "tradable": True, "marginable": True, "shortable": shortable,
            "easy_to_borrow": etb, "fractionable": True, "maintenance_margin_requirement": 30.0, "attributes": [],
        }

    def position_json(self, symbol: str, now: datetime) -> dict[str, Any]:
        pos = self.broker.ledger.positions[symbol]
        price = self.model.price(symbol, now)
        last = self._lastday_price(symbol, now)
        mv, cost = pos.qty * price, pos.qty * pos.avg_entry_price
        upl = mv - cost
        held = sum(o.remaining for o in self.broker.ledger.orders.values()
                   if o.symbol == symbol and o.status in OPEN_STATUSES and (o.side == "sell") == (pos.qty > 0))
        return {
            "asset_id": _asset_id(symbol), "symbol": symbol, "exchange": self.asset_json(symbol)["exchange"],
            "asset_class": "us_equity", "asset_marginable": True, "avg_entry_price": _s(pos.avg_entry_price),
            "qty": _s(pos.qty), "side": "long" if pos.qty > 0 else "short", "market_value": _s(round(mv, 4)),
            "cost_basis": _s(round(cost, 4)), "unrealized_pl": _s(round(upl, 4)),
            "unrealized_plpc": _s(round(upl / abs(cost), 6) if cost else 0.0),
            "unrealized_intraday_pl": _s(round(pos.qty * (price - last), 4)),
            "unrealized_intraday_plpc": _s(round((price - last) / last * (1 if pos.qty > 0 else -1), 6) if last else 0.0),
            "current_price": _s(price), "lastday_price": _s(last),
            "change_today": _s(round((price - last) / last, 6) if last else 0.0),
            "qty_available": _s(round(abs(pos.qty) - held, 9) * (1 if pos.qty > 0 else -1)),
        }

    def _lastday_price(self, symbol: str, now: datetime) -> float:
        day = now.astimezone(NY).date()
        for back in range(1, 12):
            s = self.calendar.session(day - timedelta(days=back))
            if s is not None:
                return self.model.price(symbol, s.close)
        return self.model.price(symbol, now)

    def account_json(self, now: datetime) -> dict[str, Any]:
        v = self.broker.account_values(now)
        money = {k: _s(round(val, 2)) for k, val in v.items()}
        return {
            "id": str(uuid.uuid5(_NS, "account")), "account_number": "PA3SIMULATED", "status": "ACTIVE",
            "crypto_status": "INACTIVE", "currency": "USD", "buying_power": money["buying_power"],
            "regt_buying_power": money["buying_power"], "daytrading_buying_power": money["buying_power"],
            "non_marginable_buying_power": _s(round(max(v["cash"], 0.0), 2)), "cash": money["cash"],
            "accrued_fees": "0", "pending_transfer_out": None, "pending_transfer_in": "0",
            "portfolio_value": money["equity"], "pattern_day_trader": False, "trading_blocked": False,
            "transfers_blocked": False, "account_blocked": False, "created_at": "2024-01-02T14:30:00Z",
            "trade_suspended_by_user": False, "multiplier": "2", "shorting_enabled": True,
            "equity": money["equity"], "last_equity": money["last_equity"],
            "long_market_value": money["long_market_value"], "short_market_value": money["short_market_value"],
            "initial_margin": money["initial_margin"], "maintenance_margin": money["maintenance_margin"],
            "last_maintenance_margin": money["maintenance_margin"], "sma": money["equity"], "daytrade_count": 0,
            "options_buying_power": money["buying_power"], "options_approved_level": 0, "options_trading_level": 0,
        }

    def clock_json(self, now: datetime) -> dict[str, Any]:
        s = self.calendar.session_at(now)
        is_open = bool(s and s.open <= now < s.close)
        if s is not None and now < s.open:
            nxt_open = s.open
        else:
            nxt_open = self.calendar.next_session(now.astimezone(NY).date()).open
        nxt_close = s.close if (s is not None and now < s.close) else self.calendar.next_session(now.astimezone(NY).date()).close
        return {"timestamp": now.astimezone(NY).isoformat(), "is_open": is_open,
                "next_open": nxt_open.astimezone(NY).isoformat(), "next_close": nxt_close.astimezone(NY).isoformat()}
