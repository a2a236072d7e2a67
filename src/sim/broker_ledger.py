"""The simulated broker's books: orders, fills, positions and cash, persisted after every change.

This is the Alpaca simulator's truth. It is written atomically to one JSON file after every
change and reloaded at start, so a chaos test can kill the engine (or the simulator) at any
instant and then check that no order was sent twice and that the engine's positions match
these. Fills come from the shared market model at the simulated clock, so they agree with the
prices the UW simulator serves at the same moment.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from src.core.clock import Clock, MarketCalendar, Session, trading_day
from src.core.jsonio import atomic_write_json
from src.core.state import load_state
from src.sim.market import MarketModel

OPEN_STATUSES = frozenset({"new", "accepted", "partially_filled", "pending_new"})


class OrderRec(BaseModel):
    id: str
    client_order_id: str
    symbol: str
    side: str  # buy | sell
    type: str  # market | limit
    time_in_force: str = "day"
    qty: float | None = None
    notional: float | None = None
    limit_price: float | None = None
    status: str = "new"
    filled_qty: float = 0.0
    filled_avg_price: float | None = None
    created_at: datetime
    updated_at: datetime
    eligible_from: datetime  # when the order may first fill (the next open for queued orders)
    expires_at: datetime | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    failed_at: datetime | None = None
    partial_fraction: float | None = None  # set by the "partial" fault
    partial_rest_after: datetime | None = None  # remainder fills from then; None = never
    last_checked: datetime | None = None

    @property
    def remaining(self) -> float:
        """Shares still to fill (notional orders: unknown until priced, counted as their notional)."""
        if self.qty is None:
            return 0.0 if self.filled_qty else 1.0
        return max(0.0, self.qty - self.filled_qty)


class FillRec(BaseModel):
    order_id: str
    client_order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    ts: datetime


class PositionRec(BaseModel):
    symbol: str
    qty: float = 0.0  # negative for a short
    avg_entry_price: float = 0.0


class Ledger(BaseModel):
    """Every field has a default so an absent or healed file starts a fresh account."""

    schema_version: int = 1
    starting_cash: float = 100_000.0
    cash: float = 100_000.0
    orders: dict[str, OrderRec] = Field(default_factory=dict)
    client_ids: dict[str, str] = Field(default_factory=dict)
    positions: dict[str, PositionRec] = Field(default_factory=dict)
    fills: list[FillRec] = Field(default_factory=list)
    last_equity: float | None = None
    equity_day: str = ""


class BrokerError(Exception):
    """An Alpaca-style API error: HTTP status plus the vendor's numeric code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Broker:
    """Thread-safe order book and account over a Ledger file."""

    def __init__(self, ledger_path: Path, clock: Clock, model: MarketModel, starting_cash: float,
                 shortable: set[str] | None) -> None:
        self.path = Path(ledger_path)
        self.clock, self.model = clock, model
        self.shortable = {s.upper() for s in shortable} if shortable is not None else None
        self.calendar = MarketCalendar()
        self.lock = threading.RLock()
        self.ledger = load_state(self.path, Ledger, subsystem="market_sim")
        if not self.path.exists():
            self.ledger = Ledger(starting_cash=starting_cash, cash=starting_cash)
            self.save()

    # ----- persistence -----------------------------------------------------------------------
    def save(self) -> None:
        atomic_write_json(self.path, self.ledger.model_dump(mode="json"))

    def reset(self) -> None:
        with self.lock:
            self.ledger = Ledger(starting_cash=self.ledger.starting_cash, cash=self.ledger.starting_cash)
            self.save()

    # ----- market helpers --------------------------------------------------------------------
    def is_shortable(self, symbol: str) -> tuple[bool, bool]:
        if self.shortable is not None:
            ok = symbol in self.shortable
            return ok, ok
        p = self.model.profile(symbol)
        return p.shortable, p.easy_to_borrow

    def _eligible_session(self, now: datetime) -> Session:
        """The session a new order belongs to: today's if not yet closed, else the next one."""
        s = self.calendar.session_at(now)
        if s is not None and now < s.close:
            return s
        return self.calendar.next_session(datetime.fromisoformat(trading_day(now)).date())

    # ----- orders ----------------------------------------------------------------------------
    def submit(self, req: dict, fault: dict | None = None) -> OrderRec:
        now = self.clock.now()
        symbol = str(req.get("symbol") or "").upper()
        side, otype = str(req.get("side") or ""), str(req.get("type") or req.get("order_type") or "")
        tif = str(req.get("time_in_force") or "")
        coid = str(req.get("client_order_id") or uuid.uuid4())
        qty, notional, limit = _num(req.get("qty")), _num(req.get("notional")), _num(req.get("limit_price"))
        if not symbol:
            raise BrokerError(422, 40010001, "symbol is required")
        if side not in ("buy", "sell"):
            raise BrokerError(422, 40010001, "side must be buy or sell")
        if otype not in ("market", "limit"):
            raise BrokerError(422, 40010001, f"order type {otype or '(none)'} is not supported by the simulator")
        if tif not in ("day", "gtc", "ioc", "fok"):
            raise BrokerError(422, 40010001, "invalid time_in_force")
        if (qty is None) == (notional is None) or (qty is not None and qty <= 0) or (notional is not None and notional <= 0):
            raise BrokerError(422, 40010001, "exactly one of qty or notional must be positive")
        if otype == "limit" and (limit is None or limit <= 0):
            raise BrokerError(422, 40010001, "limit_price is required for limit orders")
        if len(coid) > 128:
            raise BrokerError(422, 40010001, "client_order_id must be no more than 128 characters")
        with self.lock:
            self.process(now)
            if coid in self.ledger.client_ids:
                raise BrokerError(422, 40010001, "client_order_id must be unique")
            self._check_risk(symbol, side, qty, notional, limit, now)
            session = self._eligible_session(now)
            open_now = self.calendar.is_open(now)
            order = OrderRec(
                id=str(uuid.uuid4()), client_order_id=coid, symbol=symbol, side=side, type=otype,
                time_in_force=tif, qty=qty, notional=notional, limit_price=limit,
                status="new" if open_now else "accepted", created_at=now, updated_at=now,
                eligible_from=max(now, session.open), expires_at=session.close if tif == "day" else None,
            )
            if fault and fault.get("mode") == "reject":
                order.status, order.failed_at = "rejected", now
            elif fault and fault.get("mode") == "partial":
                order.partial_fraction = float(fault.get("fraction") or 0.5)
                delay = fault.get("delay_s")
                order.partial_rest_after = None if delay is None else now + timedelta(seconds=float(delay))
            snapshot = order.model_copy()
            self.ledger.orders[order.id] = order
            self.ledger.client_ids[coid] = order.id
            self._try_fill(order, now)
            self.save()
            return snapshot

    def _check_risk(self, symbol: str, side: str, qty: float | None, notional: float | None,
                    limit: float | None, now: datetime) -> None:
        bid, ask = self.model.spread(symbol, now)
        price = limit or (ask if side == "buy" else bid)
        pos = self.ledger.positions.get(symbol)
        held = pos.qty if pos else 0.0
        pending_sell = sum(o.remaining for o in self._open() if o.symbol == symbol and o.side == "sell")
        pending_buy = sum(o.remaining for o in self._open() if o.symbol == symbol and o.side == "buy")
        want = qty if qty is not None else (notional or 0) / price
        if side == "sell" and held > 0:
            available = held - pending_sell
            if want > available + 1e-9:
                raise BrokerError(403, 40310000, f"insufficient qty available for order (requested: {want:g}, available: {max(available, 0):g})")
            return
        if side == "buy" and held < 0 and want > -held - pending_buy + 1e-9:
            raise BrokerError(403, 40310000, f"insufficient qty available for order (requested: {want:g}, available: {max(-held - pending_buy, 0):g})")
        if side == "sell":
            shortable, etb = self.is_shortable(symbol)
            if not (shortable and etb):
                raise BrokerError(403, 40310000, f"asset {symbol} cannot be sold short")
        if side == "buy" and held < 0:
            return
        reserved = sum(o.notional if o.qty is None and o.notional else
                       o.remaining * (o.limit_price or self.model.price(o.symbol, now))
                       for o in self._open() if not (o.side == "sell" and self._held(o.symbol) > 0))
        if want * price > self.account_values(now)["buying_power"] - reserved + 1e-6:
            raise BrokerError(403, 40310000, "insufficient buying power")

    def _held(self, symbol: str) -> float:
        pos = self.ledger.positions.get(symbol)
        return pos.qty if pos else 0.0

    def _open(self) -> list[OrderRec]:
        return [o for o in self.ledger.orders.values() if o.status in OPEN_STATUSES]

    def cancel(self, order_id: str) -> OrderRec:
        with self.lock:
            self.process(self.clock.now())
            order = self.ledger.orders.get(order_id)
            if order is None:
                raise BrokerError(404, 40410000, "order not found")
            if order.status not in OPEN_STATUSES:
                raise BrokerError(422, 42210000, f'order is already in "{order.status}" state')
            now = self.clock.now()
            order.status, order.canceled_at, order.updated_at = "canceled", now, now
            self.save()
            return order

    def cancel_all(self) -> list[OrderRec]:
        with self.lock:
            self.process(self.clock.now())
            return [self.cancel(o.id) for o in self._open()]

    def close_position(self, symbol: str, qty: float | None, percentage: float | None) -> OrderRec:
        with self.lock:
            self.process(self.clock.now())
            pos = self.ledger.positions.get(symbol)
            if pos is None or abs(pos.qty) < 1e-12:
                raise BrokerError(404, 40410000, "position does not exist")
            amount = abs(pos.qty) if qty is None else qty
            if percentage is not None:
                amount = abs(pos.qty) * percentage / 100.0
            side = "sell" if pos.qty > 0 else "buy"
            return self.submit({"symbol": symbol, "side": side, "type": "market", "time_in_force": "day",
                                "qty": round(amount, 9)})

    # ----- fills -------------------------------------------------------------------------------
    def process(self, now: datetime) -> None:
        """Advance every open order to `now`: fill what is fillable, expire what has lapsed."""
        with self.lock:
            changed = self._roll_equity_day(now)
            for order in self._open():
                changed |= self._try_fill(order, now)
            if changed:
                self.save()

    def _roll_equity_day(self, now: datetime) -> bool:
        day = trading_day(now)
        if self.ledger.equity_day == day:
            return False
        self.ledger.last_equity = self.account_values(now)["equity"]
        self.ledger.equity_day = day
        return True

    def _try_fill(self, o: OrderRec, now: datetime) -> bool:
        if o.status not in OPEN_STATUSES:
            return False
        changed = False
        fill_at = self._fill_time(o, now)
        if fill_at is not None:
            px = self._fill_price(o, fill_at)
            target = o.qty if o.qty is not None else round((o.notional or 0) / px, 9)
            remaining = target - o.filled_qty
            if o.partial_fraction is not None and o.filled_qty == 0:
                part = max(1.0, float(int(target * o.partial_fraction))) if target >= 2 else target * o.partial_fraction
                self._apply_fill(o, min(part, remaining), px, fill_at, target)
                changed = True
            elif o.partial_fraction is not None and (o.partial_rest_after is None or now < o.partial_rest_after):
                pass
            else:
                self._apply_fill(o, remaining, px, fill_at, target)
                changed = True
        if o.status in OPEN_STATUSES and o.time_in_force in ("ioc", "fok") and now >= o.eligible_from:
            o.status, o.canceled_at, o.updated_at = "canceled", now, now
            changed = True
        if o.status in OPEN_STATUSES and o.expires_at is not None and now >= o.expires_at:
            o.status, o.expired_at, o.updated_at = "expired", o.expires_at, now
            changed = True
        return changed

    def _fill_time(self, o: OrderRec, now: datetime) -> datetime | None:
        """The first moment in (last check, now] the order could trade, or None."""
        start = max(o.eligible_from, o.last_checked or o.eligible_from)
        end = min(now, o.expires_at) if o.expires_at else now
        o.last_checked = now
        if end < start:
            return None
        if o.partial_rest_after is not None and o.filled_qty > 0:
            start = max(start, o.partial_rest_after)
        t, steps = start, 0
        while t <= end and steps < 800:
            if self.calendar.is_open(t) and self._marketable(o, t):
                return t
            t += timedelta(minutes=1)
            steps += 1
        if steps >= 800 and self.calendar.is_open(end) and self._marketable(o, end):
            return end
        return None

    def _marketable(self, o: OrderRec, t: datetime) -> bool:
        if o.type == "market":
            return True
        bid, ask = self.model.spread(o.symbol, t)
        return ask <= (o.limit_price or 0) if o.side == "buy" else bid >= (o.limit_price or float("inf"))

    def _fill_price(self, o: OrderRec, t: datetime) -> float:
        bid, ask = self.model.spread(o.symbol, t)
        px = ask if o.side == "buy" else bid
        if o.type == "limit" and o.limit_price is not None:
            px = min(px, o.limit_price) if o.side == "buy" else max(px, o.limit_price)
        return round(px, 4)

    def _apply_fill(self, o: OrderRec, qty: float, px: float, ts: datetime, target: float) -> None:
        if qty <= 0:
            return
        prev = o.filled_qty
        o.filled_qty = round(prev + qty, 9)
        o.filled_avg_price = round(((o.filled_avg_price or 0) * prev + px * qty) / o.filled_qty, 4)
        o.status = "filled" if o.filled_qty >= target - 1e-9 else "partially_filled"
        o.updated_at = ts
        if o.status == "filled":
            o.filled_at = ts
        self.ledger.fills.append(FillRec(order_id=o.id, client_order_id=o.client_order_id, symbol=o.symbol,
                                         side=o.side, qty=qty, price=px, ts=ts))
        signed = qty if o.side == "buy" else -qty
        self.ledger.cash = round(self.ledger.cash - signed * px, 6)
        pos = self.ledger.positions.get(o.symbol) or PositionRec(symbol=o.symbol)
        new_qty = round(pos.qty + signed, 9)
        if abs(new_qty) < 1e-12:
            self.ledger.positions.pop(o.symbol, None)
            return
        if pos.qty == 0 or (pos.qty > 0) == (signed > 0):  # opening or adding: average in
            pos.avg_entry_price = round((abs(pos.qty) * pos.avg_entry_price + qty * px) / abs(new_qty), 6)
        pos.qty = new_qty
        self.ledger.positions[o.symbol] = pos

    # ----- account -----------------------------------------------------------------------------
    def account_values(self, now: datetime) -> dict[str, float]:
        long_mv = sum(p.qty * self.model.price(s, now) for s, p in self.ledger.positions.items() if p.qty > 0)
        short_mv = sum(p.qty * self.model.price(s, now) for s, p in self.ledger.positions.items() if p.qty < 0)
        equity = self.ledger.cash + long_mv + short_mv
        initial_margin = 0.5 * (long_mv + abs(short_mv))
        buying_power = max(0.0, 2 * (equity - initial_margin))
        return {"cash": self.ledger.cash, "long_market_value": long_mv, "short_market_value": short_mv,
                "equity": equity, "initial_margin": initial_margin, "maintenance_margin": 0.3 * (long_mv + abs(short_mv)),
                "buying_power": buying_power, "last_equity": self.ledger.last_equity or equity}


def _num(v: object) -> float | None:
    if v is None or v == "":
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise BrokerError(422, 40010001, f"invalid number: {v!r}") from exc

