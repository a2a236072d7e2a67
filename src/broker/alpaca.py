"""The `Broker` interface on alpaca-py (TradingClient + StockHistoricalDataClient).

Two things alpaca-py does by default that a trading engine must not: it sends requests with
no timeout (a hung peer would freeze the cycle), and it silently re-sends any request that got
a 429/504, POSTs included. Both clients get a session with a timeout; order submission runs
with retries off, so a non-idempotent call is never repeated behind our back. Vendor models
and exceptions stop here: callers see `src.broker.interface` types and `src.broker.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests

from src.broker.errors import (
    BrokerAuthError,
    BrokerError,
    BrokerProtocolError,
    BrokerRateLimited,
    BrokerUnavailable,
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
)
from src.broker.interface import (
    Account,
    AssetInfo,
    BrokerOrder,
    BrokerPosition,
    MarketClock,
    OrderRequest,
    Quote,
)

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 10.0
QUOTE_BATCH = 200


class _TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout unless the caller gives one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def _f(v: Any) -> float | None:
    try:
        return None if v is None or v == "" else float(v)
    except (TypeError, ValueError):
        return None


def _enum(v: Any) -> str:
    return str(getattr(v, "value", v) or "")


def _is_duplicate(text: str) -> bool:
    t = text.lower()
    return "client_order_id" in t and ("unique" in t or "duplicate" in t or "already" in t)


def translate(exc: Exception, op: str, *, submitting: bool = False) -> BrokerError:
    """Map a vendor/transport exception to our typed error."""
    from alpaca.common.exceptions import APIError
    from pydantic import ValidationError

    if isinstance(exc, BrokerError):
        return exc
    if isinstance(exc, requests.Timeout):
        return BrokerUnavailable(f"{op}: timeout", ambiguous=submitting)
    if isinstance(exc, requests.ConnectionError):
        # a refused connection never reached the broker; anything else might have
        text = str(exc)
        refused = "refused" in text.lower() or "Failed to establish" in text
        return BrokerUnavailable(f"{op}: connection error: {type(exc).__name__}", ambiguous=submitting and not refused)
    if isinstance(exc, APIError):
        status = exc.status_code
        text = str(exc)[:300]
        if status == 404:
            return OrderNotFound(f"{op}: not found", status=404)
        if status == 429:
            return BrokerRateLimited(f"{op}: rate limited", status=429)
        if status is not None and status >= 500:
            return BrokerUnavailable(f"{op}: broker error {status}", status=status, ambiguous=submitting)
        if submitting and status == 422 and _is_duplicate(text):
            return DuplicateClientOrderId(f"{op}: duplicate client_order_id", status=422)
        if submitting and status in (403, 422, 400):
            return OrderRejected(f"{op}: rejected ({status}): {text}", status=status)
        if status in (401, 403):
            return BrokerAuthError(f"{op}: not authorized ({status})", status=status)
        return BrokerError(f"{op}: API error {status}: {text}", status=status)
    if isinstance(exc, (ValidationError, ValueError, KeyError, TypeError)):
        return BrokerProtocolError(f"{op}: unreadable answer: {type(exc).__name__}", ambiguous=submitting)
    if isinstance(exc, requests.RequestException):
        return BrokerUnavailable(f"{op}: {type(exc).__name__}", ambiguous=submitting)
    return BrokerError(f"{op}: {type(exc).__name__}: {str(exc)[:200]}", ambiguous=submitting)


def to_order(o: Any) -> BrokerOrder:
    return BrokerOrder(
        id=str(getattr(o, "id", "") or ""),
        client_order_id=str(getattr(o, "client_order_id", "") or ""),
        symbol=str(getattr(o, "symbol", "") or ""),
        side="sell" if _enum(getattr(o, "side", None)) == "sell" else "buy",
        qty=_f(getattr(o, "qty", None)) or 0.0,
        filled_qty=_f(getattr(o, "filled_qty", None)) or 0.0,
        status=_enum(getattr(o, "status", None)),
        filled_avg_price=_f(getattr(o, "filled_avg_price", None)),
        order_type=_enum(getattr(o, "type", None) or getattr(o, "order_type", None)) or "market",
        submitted_at=getattr(o, "submitted_at", None),
        filled_at=getattr(o, "filled_at", None),
    )


class AlpacaBroker:
    """alpaca-py behind the `Broker` protocol; construct through `src.broker.factory`."""

    def __init__(self, trading: Any, data: Any, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.trading = trading
        self.data = data
        for client in (trading, data):
            if client is not None and hasattr(client, "_session"):
                client._session = _TimeoutSession(timeout_s)

    @property
    def trading_base_url(self) -> str:
        return str(getattr(self.trading._base_url, "value", self.trading._base_url))

    @property
    def data_base_url(self) -> str:
        return str(getattr(self.data._base_url, "value", self.data._base_url))

    def _call(self, op: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every vendor error becomes a typed one
            raise translate(exc, op) from None

    # -- reads -----------------------------------------------------------------------------
    def account(self) -> Account:
        a = self._call("account", self.trading.get_account)
        return Account(
            equity=_f(getattr(a, "equity", None)),
            buying_power=_f(getattr(a, "buying_power", None)),
            last_equity=_f(getattr(a, "last_equity", None)),
            cash=_f(getattr(a, "cash", None)),
            shorting_enabled=bool(getattr(a, "shorting_enabled", False)),
            trading_blocked=bool(getattr(a, "trading_blocked", False)),
            status=_enum(getattr(a, "status", None)),
        )

    def positions(self) -> list[BrokerPosition]:
        out = []
        for p in self._call("positions", self.trading.get_all_positions):
            qty = _f(getattr(p, "qty", None)) or 0.0
            side = _enum(getattr(p, "side", None)) or ("short" if qty < 0 else "long")
            out.append(
                BrokerPosition(
                    symbol=str(getattr(p, "symbol", "")),
                    side="short" if side == "short" else "long",
                    qty=abs(qty),
                    avg_entry_price=_f(getattr(p, "avg_entry_price", None)) or 0.0,
                    current_price=_f(getattr(p, "current_price", None)),
                    market_value=_f(getattr(p, "market_value", None)),
                )
            )
        return out

    def open_orders(self) -> list[BrokerOrder]:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        req = GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500)
        return [to_order(o) for o in self._call("open_orders", lambda: self.trading.get_orders(filter=req))]

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        try:
            return to_order(
                self._call("order_by_client_id", lambda: self.trading.get_order_by_client_id(client_order_id))
            )
        except OrderNotFound:
            return None

    def clock(self) -> MarketClock:
        c = self._call("clock", self.trading.get_clock)
        return MarketClock(
            is_open=bool(getattr(c, "is_open", False)),
            timestamp=getattr(c, "timestamp", None),
            next_open=getattr(c, "next_open", None),
            next_close=getattr(c, "next_close", None),
        )

    def asset(self, symbol: str) -> AssetInfo | None:
        try:
            a = self._call("asset", lambda: self.trading.get_asset(symbol))
        except OrderNotFound:
            return None
        return AssetInfo(
            symbol=str(getattr(a, "symbol", symbol)),
            tradable=bool(getattr(a, "tradable", False)),
            shortable=bool(getattr(a, "shortable", False)),
            easy_to_borrow=bool(getattr(a, "easy_to_borrow", False)),
            fractionable=bool(getattr(a, "fractionable", False)),
        )

    def latest_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        from alpaca.data.requests import StockLatestQuoteRequest, StockLatestTradeRequest

        out: dict[str, Quote] = {}
        syms = sorted({s for s in symbols if s})
        for i in range(0, len(syms), QUOTE_BATCH):
            chunk = syms[i : i + QUOTE_BATCH]
            req = StockLatestQuoteRequest(symbol_or_symbols=chunk)
            got = self._call("latest_quotes", lambda req=req: self.data.get_stock_latest_quote(req))
            for sym, q in (got or {}).items():
                out[str(sym)] = Quote(str(sym), _f(getattr(q, "bid_price", None)), _f(getattr(q, "ask_price", None)))
        no_price = [s for s in syms if (q := out.get(s)) is None or q.price is None]
        for i in range(0, len(no_price), QUOTE_BATCH):
            req = StockLatestTradeRequest(symbol_or_symbols=no_price[i : i + QUOTE_BATCH])
            got = self._call("latest_trades", lambda req=req: self.data.get_stock_latest_trade(req))
            for sym, t in (got or {}).items():
                prev = out.get(str(sym))
                out[str(sym)] = Quote(
                    str(sym), prev.bid if prev else None, prev.ask if prev else None, _f(getattr(t, "price", None))
                )
        return out

    # -- writes ----------------------------------------------------------------------------
    def submit(self, req: OrderRequest) -> BrokerOrder:
        """Submit once. Duplicate client id -> the existing order (idempotent), never a resend."""
        try:
            from src.shadow.guard import assert_not_shadow
        except ImportError:  # the shadow guard ships separately; absence means no shadow code runs
            pass
        else:
            assert_not_shadow("submit_order")
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

        common = {
            "symbol": req.symbol,
            "qty": req.qty,
            "side": OrderSide.BUY if req.side == "buy" else OrderSide.SELL,
            "time_in_force": TimeInForce.DAY if req.time_in_force == "day" else TimeInForce.GTC,
            "client_order_id": req.client_order_id,
        }
        order_req = (
            LimitOrderRequest(limit_price=req.limit_price, **common)
            if req.order_type == "limit"
            else MarketOrderRequest(**common)
        )
        saved_retry = getattr(self.trading, "_retry", None)
        try:
            self.trading._retry = 0  # a POST is never re-sent automatically
            raw = self.trading.submit_order(order_req)
        except Exception as exc:  # noqa: BLE001
            err = translate(exc, "submit", submitting=True)
            if isinstance(err, DuplicateClientOrderId):
                existing = self.order_by_client_id(req.client_order_id)
                if existing is not None:
                    return existing
            raise err from None
        finally:
            if saved_retry is not None:
                self.trading._retry = saved_retry
        try:
            return to_order(raw)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "submit", submitting=True) from None

    def cancel(self, order_id: str) -> None:
        self._call("cancel", lambda: self.trading.cancel_order_by_id(order_id))
