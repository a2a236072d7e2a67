"""Idempotent order placement: deterministic client order ids, write-ahead intent, one submit.

The id is `<prefix>-<YYYYMMDD>-<SYMBOL>-<buy|sell>-<entry|exit>-<n>`: the trading day, symbol,
side, intent and the decision's ordinal for that (day, symbol, intent). Before sending, the
broker is asked whether that id already exists: an open one means a previous incarnation of
the engine already sent this decision (adopt it, send nothing); a finished one means the
ordinal was used by an earlier decision (take the next). The intent is saved to
`state/positions.json` before the submit, so a kill at any instant leaves either nothing at
the broker or an order the next reconciliation finds by its id. Nothing here re-sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from src.broker.errors import BrokerError, DuplicateClientOrderId, OrderRejected
from src.broker.interface import Broker, BrokerOrder, OrderRequest
from src.core.clock import trading_day
from src.core.events import emit
from src.core.paths import Paths
from src.engine.positions import BookState, PendingOrder, iso, save_book
from src.engine.trade_logs import OrderLine, log_order

MAX_ORDINAL_PROBES = 50

Outcome = Literal["prepared", "sent", "in_flight", "rejected", "ambiguous", "failed"]


@dataclass(frozen=True)
class ParsedId:
    prefix: str
    day: str
    symbol: str
    order_side: Literal["buy", "sell"]
    intent: Literal["entry", "exit"]
    ordinal: int

    @property
    def position_side(self) -> Literal["long", "short"]:
        buying = self.order_side == "buy"
        return "long" if buying == (self.intent == "entry") else "short"


def make_client_order_id(prefix: str, day: str, symbol: str, order_side: str, intent: str, n: int) -> str:
    return f"{prefix}-{day.replace('-', '')}-{symbol}-{order_side}-{intent}-{n}"


def parse_client_order_id(cid: str, prefix: str) -> ParsedId | None:
    parts = (cid or "").split("-")
    if len(parts) < 6 or parts[0] != prefix:
        return None
    side, intent, n = parts[-3], parts[-2], parts[-1]
    day = parts[1]
    if side not in ("buy", "sell") or intent not in ("entry", "exit") or not n.isdigit() or len(day) != 8:
        return None
    return ParsedId(prefix, f"{day[:4]}-{day[4:6]}-{day[6:]}", "-".join(parts[2:-3]), side, intent, int(n))  # type: ignore[arg-type]


def seq_key(day: str, symbol: str, intent: str) -> str:
    return f"{day}|{symbol}|{intent}"


@dataclass
class Placement:
    outcome: Outcome
    pending: PendingOrder | None = None
    order: BrokerOrder | None = None
    error: str = ""


def _line(event: str, p: PendingOrder, now: datetime, **kw: object) -> OrderLine:
    fields: dict[str, object] = {
        "ts": iso(now),
        "event": event,
        "client_order_id": p.client_order_id,
        "broker_order_id": p.broker_order_id,
        "symbol": p.symbol,
        "side": p.order_side,
        "intent": p.intent,
        "qty": p.qty,
        "filled_qty": p.filled_qty,
        "status": p.status,
        "reason": p.reason,
    }
    fields.update(kw)
    return OrderLine.model_validate(fields)


def prepare_order(
    broker: Broker,
    book: BookState,
    paths: Paths,
    now: datetime,
    *,
    prefix: str,
    pending: PendingOrder,
) -> Placement:
    """Pick the client order id and register the intent in `book` (the caller saves the book).

    "prepared": ready to send once the book is on disk; "in_flight": a previous incarnation
    already sent this decision and it is still open, so it is adopted and nothing is sent.
    """
    day = trading_day(now)
    key = seq_key(day, pending.symbol, pending.intent)
    n = int(book.seq.get(key, 0)) + 1
    for _ in range(MAX_ORDINAL_PROBES):
        cid = make_client_order_id(prefix, day, pending.symbol, pending.order_side, pending.intent, n)
        if cid in book.pending:
            n += 1
            continue
        existing = broker.order_by_client_id(cid)
        if existing is None:
            break
        if existing.is_open:
            adopted = pending.model_copy(
                update={
                    "client_order_id": cid,
                    "broker_order_id": existing.id,
                    "status": existing.status,
                    "filled_qty": 0.0,
                    "created_ts": iso(now),
                }
            )
            book.pending[cid] = adopted
            book.seq[key] = max(n, int(book.seq.get(key, 0)))
            log_order(paths, _line("duplicate_prevented", adopted, now))
            return Placement("in_flight", adopted, existing)
        n += 1
    else:
        emit("engine", "order_ordinal_exhausted", "error", paths=paths, symbol=pending.symbol, intent=pending.intent)
        return Placement("failed", error="no free client order id")
    p = pending.model_copy(update={"client_order_id": cid, "status": "intent", "created_ts": iso(now)})
    book.seq[key] = n
    book.pending[cid] = p
    return Placement("prepared", p)


def send_order(broker: Broker, book: BookState, paths: Paths, now: datetime, p: PendingOrder) -> Placement:
    """Submit a prepared intent exactly once. The intent MUST already be on disk (write-ahead).

    Later book changes need no immediate save: if the engine dies before the step saves, the
    intent on disk leads the next reconciliation to ask the broker by client order id.
    """
    cid = p.client_order_id
    log_order(paths, _line("submit", p, now))
    req = OrderRequest(symbol=p.symbol, qty=p.qty, side=p.order_side, client_order_id=cid)
    try:
        order = broker.submit(req)
    except OrderRejected as exc:
        if isinstance(exc, DuplicateClientOrderId):
            p.status = "unknown"
            log_order(paths, _line("submit_ambiguous", p, now, reason=str(exc)[:300]))
            return Placement("ambiguous", p, error=str(exc))
        book.pending.pop(cid, None)
        p.status = "rejected"
        log_order(paths, _line("reject", p, now, reason=str(exc)[:300]))
        return Placement("rejected", p, error=str(exc))
    except BrokerError as exc:
        if exc.ambiguous:
            # it may exist at the broker: keep the intent; reconciliation asks by client id
            p.status = "unknown"
            log_order(paths, _line("submit_ambiguous", p, now, reason=str(exc)[:300]))
            emit("engine", "order_submit_ambiguous", "warning", paths=paths, client_order_id=cid, error=str(exc))
            return Placement("ambiguous", p, error=str(exc))
        book.pending.pop(cid, None)
        p.status = "not_sent"
        log_order(paths, _line("submit_failed", p, now, reason=str(exc)[:300]))
        emit("engine", "order_submit_failed", "error", paths=paths, client_order_id=cid, error=str(exc))
        return Placement("failed", p, error=str(exc))
    if not order.is_terminal:
        # Alpaca answers a submit with the pre-fill snapshot; one read shows an immediate fill
        try:
            order = broker.order_by_client_id(cid) or order
        except BrokerError:
            pass  # the ack stands; reconciliation follows the order next cycle
    p.broker_order_id = order.id
    p.status = order.status
    log_order(paths, _line("ack", p, now, price=order.filled_avg_price))
    return Placement("sent", p, order)


def place_order(
    broker: Broker,
    book: BookState,
    paths: Paths,
    now: datetime,
    *,
    prefix: str,
    pending: PendingOrder,
) -> Placement:
    """prepare -> save the book (write-ahead) -> send, for a single order."""
    placed = prepare_order(broker, book, paths, now, prefix=prefix, pending=pending)
    if placed.outcome != "prepared" or placed.pending is None:
        if placed.outcome == "in_flight":
            save_book(paths, book, now)
        return placed
    save_book(paths, book, now)
    return send_order(broker, book, paths, now, placed.pending)


def order_line(event: str, p: PendingOrder, now: datetime, **kw: object) -> OrderLine:
    return _line(event, p, now, **kw)
