"""Reconciliation against the Alpaca simulator: the broker is the truth, every repair is visible."""

from __future__ import annotations

from collections import Counter

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from src.core.jsonio import read_jsonl
from src.core.state import inspect_state
from src.engine.orders import make_client_order_id
from src.engine.positions import BookState, PendingOrder, Position, save_book

from .sim_harness import SESSION_START, make_engine, strong, write_cache


def book(home) -> BookState:
    v = inspect_state(home.positions, BookState).value
    assert v is not None
    return v


def order_events(home) -> Counter:
    rows, _ = read_jsonl(home.orders_log)
    return Counter(r["event"] for r in rows)


def direct_order(sim, symbol: str, qty: float, side: str = "buy", cid: str | None = None):
    tc = TradingClient("sim", "sim", paper=True, url_override=sim.url)
    return tc.submit_order(
        MarketOrderRequest(
            symbol=symbol, qty=qty, side=OrderSide(side), time_in_force=TimeInForce.DAY, client_order_id=cid
        )
    )


def test_broker_position_missing_from_state_is_adopted(home, sim, read_events) -> None:
    direct_order(sim, "KO", 7, cid="manual-ko-1")
    eng = make_engine(home, sim)
    eng.startup()
    b = book(home)
    assert b.positions["KO"].qty == 7 and b.positions["KO"].source == "adopted"
    assert [e["details"]["symbol"] for e in read_events(home, "position_adopted")] == ["KO"]


def test_state_position_missing_at_broker_is_dropped(home, sim, read_events) -> None:
    stale = BookState(
        positions={"PG": Position(symbol="PG", qty=5, entry_price=160.0, trade_id="t-pg", last_price=161.0)}
    )
    save_book(home, stale, SESSION_START)
    make_engine(home, sim).startup()
    assert "PG" not in book(home).positions
    assert read_events(home, "position_missing_at_broker")[0]["details"]["symbol"] == "PG"
    exits, _ = read_jsonl(home.exits_log)
    assert exits[0]["reason"] == "closed_outside_engine" and exits[0]["exit_price"] == 161.0


def test_quantity_mismatch_is_repaired(home, sim, read_events) -> None:
    direct_order(sim, "KO", 10)
    save_book(
        home, BookState(positions={"KO": Position(symbol="KO", qty=4, entry_price=60.0, trade_id="t")}), SESSION_START
    )
    make_engine(home, sim).startup()
    assert book(home).positions["KO"].qty == 10
    assert read_events(home, "position_qty_repaired")


def test_partial_fill_then_timeout_cancel(home, sim) -> None:
    now = sim.clock.now().timestamp()
    write_cache(home, {"AAPL": strong(now=now)}, now)
    sim.fault(mode="partial", fraction=0.5, count=1, paths=["/v2/orders"])  # rest never fills
    eng = make_engine(home, sim)
    eng.startup()
    eng.run_once()
    b = book(home)
    pend = list(b.pending.values())
    assert len(pend) == 1 and pend[0].status == "partially_filled"
    assert 0 < b.positions["AAPL"].qty < pend[0].qty
    assert b.positions["AAPL"].qty == sim.positions()["AAPL"]  # booked in the same cycle
    assert order_events(home)["partial_fill"] == 1
    sim.clock.advance(130)  # beyond the 120 s order timeout
    eng.run_once()  # sends the cancel
    sim.clock.advance(60)
    eng.run_once()  # sees it canceled
    b = book(home)
    assert not b.pending
    assert b.positions["AAPL"].qty == sim.positions()["AAPL"]
    ev = order_events(home)
    assert ev["timeout"] == 1 and ev["cancel"] == 1
    assert len(sim.ledger()["orders"]) == 1  # the cancelled remainder was not re-sent


def test_rejected_order(home, sim) -> None:
    now = sim.clock.now().timestamp()
    write_cache(home, {"AAPL": strong(now=now)}, now)
    sim.fault(mode="reject", count=1, paths=["/v2/orders"])
    eng = make_engine(home, sim)
    eng.startup()
    res = eng.run_once()
    assert res.engine_status == "ok"
    b = book(home)
    assert not b.pending and "AAPL" not in b.positions
    assert order_events(home)["reject"] == 1


def test_open_order_survives_restart_without_resend(home, sim) -> None:
    """Killed after the submit reached the broker, while the order is still open (market closed)."""
    sim.clock.advance(-6 * 3600)  # 04:00 New York: orders are accepted, fill at the open
    now = sim.clock.now()
    cid = make_client_order_id("v1", "2026-11-24", "MSFT", "buy", "entry", 1)
    intent = PendingOrder(
        client_order_id=cid,
        symbol="MSFT",
        order_side="buy",
        position_side="long",
        intent="entry",
        qty=3,
        status="intent",
        created_ts=now.isoformat(),
        score=4.2,
        components={"flow": 2.0},
    )
    save_book(home, BookState(pending={cid: intent}, seq={"2026-11-24|MSFT|entry": 1}), now)
    direct_order(sim, "MSFT", 3, cid=cid)  # what the killed engine had sent
    eng = make_engine(home, sim)  # the restarted engine
    eng.startup()
    b = book(home)
    assert b.pending[cid].status == "accepted" and "MSFT" not in b.positions
    sim.clock.advance(5.5 * 3600 + 60)  # 09:31: the order filled at the open
    write_cache(home, {"MSFT": strong(now=sim.clock.now().timestamp())}, sim.clock.now().timestamp())
    eng.run_once()
    b = book(home)
    assert not b.pending
    assert b.positions["MSFT"].trade_id == cid and b.positions["MSFT"].entry_score == 4.2
    ledger = sim.ledger()
    assert [o["client_order_id"] for o in ledger["orders"].values()] == [cid]


def test_open_order_unknown_to_state_is_adopted(home, sim, read_events) -> None:
    sim.clock.advance(-6 * 3600)
    cid = make_client_order_id("v1", "2026-11-24", "MSFT", "buy", "entry", 1)
    direct_order(sim, "MSFT", 3, cid=cid)  # state file lost after the submit
    eng = make_engine(home, sim)
    eng.startup()
    assert cid in book(home).pending
    assert read_events(home, "order_adopted")
    sim.clock.advance(5.5 * 3600 + 60)
    now = sim.clock.now().timestamp()
    write_cache(home, {"MSFT": strong(now=now)}, now)
    eng.run_once()
    assert book(home).positions["MSFT"].qty == 3
    assert len(sim.ledger()["orders"]) == 1  # MSFT is held: no second entry


def test_killed_between_intent_and_submit(home, sim, read_events) -> None:
    now = sim.clock.now()
    cid = make_client_order_id("v1", "2026-11-24", "AAPL", "buy", "entry", 1)
    intent = PendingOrder(client_order_id=cid, symbol="AAPL", qty=2, status="intent", created_ts=now.isoformat())
    save_book(home, BookState(pending={cid: intent}, seq={"2026-11-24|AAPL|entry": 1}), now)
    write_cache(home, {"AAPL": strong(now=now.timestamp())}, now.timestamp())
    eng = make_engine(home, sim)
    eng.startup()
    assert read_events(home, "order_intent_not_at_broker")
    eng.run_once()
    ids = [o["client_order_id"] for o in sim.ledger()["orders"].values()]
    assert ids == [make_client_order_id("v1", "2026-11-24", "AAPL", "buy", "entry", 2)]


def test_broker_down_fails_closed(home, sim, read_events) -> None:
    now = sim.clock.now().timestamp()
    write_cache(home, {"AAPL": strong(now=now)}, now)
    sim.fault(mode="5xx", status=503)  # every request, until cleared
    eng = make_engine(home, sim)
    res = eng.run_once()
    assert res.engine_status == "degraded" and any("broker unavailable" in e for e in res.errors)
    assert read_events(home, "broker_unavailable")
    sim.fault(mode="none")
    assert not sim.ledger()["orders"]
    res = eng.run_once()
    assert res.engine_status == "ok" and len(sim.ledger()["orders"]) == 1
