"""The Alpaca simulator driven by alpaca-py 0.44's real TradingClient and StockHistoricalDataClient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockLatestQuoteRequest, StockLatestTradeRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import ClosePositionRequest, GetOrdersRequest, LimitOrderRequest, MarketOrderRequest

from src.core.clock import FixedClock
from src.sim.alpaca_sim import create_app
from src.sim.market import MarketModel
from tests.integration.sim.serving import serve
from tests.unit.sim.conftest import MID_SESSION

MODEL = MarketModel.shared(7)
SATURDAY = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)
PRE_OPEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 08:00 New York
SESSION_OPEN = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)


class Sim:
    def __init__(self, url: str, clock: FixedClock, ledger: Path) -> None:
        self.url, self.clock, self.ledger = url, clock, ledger
        self.trading = TradingClient("sim-key", "sim-secret", paper=True, url_override=url)
        self.data = StockHistoricalDataClient("sim-key", "sim-secret", url_override=url)

    def fault(self, **spec: object) -> None:
        requests.post(f"{self.url}/_sim/faults", json=spec, timeout=5).raise_for_status()

    def buy(self, symbol: str, qty: float, coid: str | None = None):  # type: ignore[no-untyped-def]
        return self.trading.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY,
                                                            time_in_force=TimeInForce.DAY, client_order_id=coid))

    def sell(self, symbol: str, qty: float, coid: str | None = None):  # type: ignore[no-untyped-def]
        return self.trading.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.SELL,
                                                            time_in_force=TimeInForce.DAY, client_order_id=coid))


@contextmanager
def running(ledger: Path, at: datetime, **kw: object) -> Iterator[Sim]:
    clock = FixedClock(at)
    with serve(create_app(ledger, clock=clock, **kw)) as url:  # type: ignore[arg-type]
        yield Sim(url, clock, ledger)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    with running(tmp_path / "ledger.json", MID_SESSION) as s:
        yield s


def test_account_clock_and_assets(sim: Sim) -> None:
    acct = sim.trading.get_account()
    assert float(acct.cash) == float(acct.equity) == 100_000.0
    assert float(acct.buying_power) == 200_000.0 and acct.status.value == "ACTIVE"
    clock = sim.trading.get_clock()
    assert clock.is_open is True and clock.next_close.astimezone(UTC) == datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    asset = sim.trading.get_asset("AAPL")
    assert asset.symbol == "AAPL" and asset.tradable and asset.shortable and asset.easy_to_borrow
    symbols = {a.symbol for a in sim.trading.get_all_assets()}
    assert {"AAPL", "SPY", "NVDA"} <= symbols and len(symbols) == len(MODEL.universe())


def test_market_buy_fills_at_sim_ask_and_books_position(sim: Sim) -> None:
    now = sim.clock.now()
    _, ask = MODEL.spread("AAPL", now)
    submitted = sim.buy("AAPL", 10, "buy-aapl-1")
    assert submitted.status == OrderStatus.NEW and float(submitted.filled_qty) == 0  # pre-fill snapshot
    filled = sim.trading.get_order_by_id(submitted.id)
    assert filled.status == OrderStatus.FILLED and float(filled.filled_avg_price) == pytest.approx(ask)
    assert sim.trading.get_order_by_client_id("buy-aapl-1").id == submitted.id
    pos = sim.trading.get_open_position("AAPL")
    assert float(pos.qty) == 10 and float(pos.avg_entry_price) == pytest.approx(ask)
    assert float(pos.market_value) == pytest.approx(10 * MODEL.price("AAPL", now))
    acct = sim.trading.get_account()
    assert float(acct.cash) == pytest.approx(100_000 - 10 * ask, abs=0.01)
    assert float(acct.equity) == pytest.approx(100_000 - 10 * ask + 10 * MODEL.price("AAPL", now), abs=0.01)


def test_duplicate_client_order_id_rejected_like_alpaca(sim: Sim) -> None:
    sim.buy("MSFT", 1, "dup-1")
    with pytest.raises(APIError) as err:
        sim.buy("MSFT", 1, "dup-1")
    assert err.value.status_code == 422 and "unique" in str(err.value)
    orders = sim.trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))
    assert [o.client_order_id for o in orders] == ["dup-1"]


def test_round_trip_pnl_and_close_position(sim: Sim) -> None:
    t0 = sim.clock.now()
    _, ask = MODEL.spread("NVDA", t0)
    sim.buy("NVDA", 20)
    sim.clock.advance(45 * 60)
    bid, _ = MODEL.spread("NVDA", sim.clock.now())
    close = sim.trading.close_position("NVDA", ClosePositionRequest(qty="8"))
    assert close.side == OrderSide.SELL and float(close.qty) == 8
    assert float(sim.trading.get_open_position("NVDA").qty) == 12
    sim.trading.close_position("NVDA")
    assert sim.trading.get_all_positions() == []
    assert float(sim.trading.get_account().cash) == pytest.approx(100_000 + 20 * (bid - ask), abs=0.01)
    with pytest.raises(APIError) as err:
        sim.trading.get_open_position("NVDA")
    assert err.value.status_code == 404


def test_limit_orders_rest_fill_when_marketable_and_cancel(sim: Sim) -> None:
    now = sim.clock.now()
    bid, ask = MODEL.spread("AMD", now)
    resting = sim.trading.submit_order(LimitOrderRequest(symbol="AMD", qty=3, side=OrderSide.BUY,
                                                         time_in_force=TimeInForce.DAY, limit_price=round(bid * 0.5, 2)))
    marketable = sim.trading.submit_order(LimitOrderRequest(symbol="AMD", qty=2, side=OrderSide.BUY,
                                                            time_in_force=TimeInForce.DAY, limit_price=round(ask * 1.01, 2)))
    assert float(sim.trading.get_order_by_id(marketable.id).filled_avg_price) == pytest.approx(ask)  # price improvement
    open_orders = sim.trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, symbols=["AMD"]))
    assert [o.id for o in open_orders] == [resting.id] and open_orders[0].status == OrderStatus.NEW
    sim.trading.cancel_order_by_id(resting.id)
    assert sim.trading.get_order_by_id(resting.id).status == OrderStatus.CANCELED
    closed = sim.trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, symbols=["AMD"]))
    assert {o.id for o in closed} == {resting.id, marketable.id}
    with pytest.raises(APIError) as err:
        sim.trading.cancel_order_by_id(resting.id)
    assert err.value.status_code == 422


def test_limit_fills_later_when_the_price_comes_to_it(sim: Sim) -> None:
    start = sim.clock.now()
    asks = [(start + timedelta(minutes=m), MODEL.spread("TSLA", start + timedelta(minutes=m))[1]) for m in range(1, 61)]
    first_ask = MODEL.spread("TSLA", start)[1]
    low_t, low = min(asks, key=lambda x: x[1])
    if low >= first_ask:
        pytest.skip("path never dips in the hour (seeded data changed)")
    limit = round(low + 0.005, 3)
    order = sim.trading.submit_order(LimitOrderRequest(symbol="TSLA", qty=1, side=OrderSide.BUY,
                                                       time_in_force=TimeInForce.DAY, limit_price=limit))
    assert sim.trading.get_order_by_id(order.id).status == OrderStatus.NEW
    sim.clock.advance(60 * 60)
    done = sim.trading.get_order_by_id(order.id)
    assert done.status == OrderStatus.FILLED and float(done.filled_avg_price) <= limit
    assert done.filled_at.astimezone(UTC) <= low_t


def test_market_order_when_closed_is_queued_and_fills_at_open(tmp_path: Path) -> None:
    with running(tmp_path / "l.json", PRE_OPEN) as sim:
        assert sim.trading.get_clock().is_open is False
        order = sim.buy("SPY", 2)
        assert order.status == OrderStatus.ACCEPTED
        sim.clock.advance(30 * 60)
        assert sim.trading.get_order_by_id(order.id).status == OrderStatus.ACCEPTED
        sim.clock.advance(65 * 60)  # 09:35 New York
        filled = sim.trading.get_order_by_id(order.id)
        assert filled.status == OrderStatus.FILLED
        assert float(filled.filled_avg_price) == pytest.approx(MODEL.spread("SPY", SESSION_OPEN)[1])
        assert filled.filled_at.astimezone(UTC) == SESSION_OPEN


def test_weekend_order_waits_for_monday_and_day_limit_expires(tmp_path: Path) -> None:
    with running(tmp_path / "l.json", SATURDAY) as sim:
        order = sim.buy("KO", 1)
        far = sim.trading.submit_order(LimitOrderRequest(symbol="KO", qty=1, side=OrderSide.BUY,
                                                         time_in_force=TimeInForce.DAY, limit_price=1.0))
        sim.clock.advance(24 * 3600)
        assert sim.trading.get_order_by_id(order.id).status == OrderStatus.ACCEPTED
        sim.clock.advance(2 * 24 * 3600)  # Tuesday
        assert sim.trading.get_order_by_id(order.id).status == OrderStatus.FILLED
        expired = sim.trading.get_order_by_id(far.id)
        assert expired.status == OrderStatus.EXPIRED and expired.expired_at.astimezone(UTC).weekday() == 0


def test_shorting_only_for_shortable_assets(tmp_path: Path) -> None:
    with running(tmp_path / "l.json", MID_SESSION, shortable={"AAPL"}) as sim:
        bid, _ = MODEL.spread("AAPL", MID_SESSION)
        sim.sell("AAPL", 5)
        pos = sim.trading.get_open_position("AAPL")
        assert float(pos.qty) == -5 and pos.side.value == "short"
        acct = sim.trading.get_account()
        assert float(acct.cash) == pytest.approx(100_000 + 5 * bid, abs=0.01)
        assert float(acct.short_market_value) == pytest.approx(-5 * MODEL.price("AAPL", MID_SESSION), abs=0.01)
        assert sim.trading.get_asset("MSFT").shortable is False
        with pytest.raises(APIError) as err:
            sim.sell("MSFT", 1)
        assert err.value.status_code == 403 and "short" in str(err.value)


def test_oversell_and_buying_power_refusals(sim: Sim) -> None:
    sim.buy("PFE", 10)
    with pytest.raises(APIError) as err:
        sim.sell("PFE", 15)
    assert err.value.status_code == 403 and "insufficient qty" in str(err.value)
    with pytest.raises(APIError) as err:
        sim.buy("LLY", 1000)
    assert err.value.status_code == 403 and "buying power" in str(err.value)


def test_cancel_all_orders(sim: Sim) -> None:
    ids = {sim.trading.submit_order(LimitOrderRequest(symbol=s, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
                                                      limit_price=1.0)).id for s in ("KO", "PG")}
    responses = sim.trading.cancel_orders()
    assert {r.id for r in responses} == ids and {r.status for r in responses} == {200}
    assert sim.trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN)) == []


def test_latest_quote_and_trade_agree_with_market_model(sim: Sim) -> None:
    now = sim.clock.now()
    quotes = sim.data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["AAPL", "MSFT"]))
    assert set(quotes) == {"AAPL", "MSFT"}
    for sym, q in quotes.items():
        assert (q.bid_price, q.ask_price) == MODEL.spread(sym, now) and q.bid_price < q.ask_price
    trade = sim.data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="AAPL"))["AAPL"]
    assert trade.price == MODEL.price("AAPL", now)


def test_ledger_persists_across_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    with running(ledger, MID_SESSION) as sim:
        first = sim.buy("AAPL", 4, "persist-1")
        sim.sell("AAPL", 1, "persist-2")
        cash = float(sim.trading.get_account().cash)
    on_disk = json.loads(ledger.read_text())
    assert set(on_disk["client_ids"]) == {"persist-1", "persist-2"}
    assert on_disk["positions"]["AAPL"]["qty"] == 3 and len(on_disk["fills"]) == 2
    with running(ledger, MID_SESSION + timedelta(minutes=5)) as sim:
        assert float(sim.trading.get_account().cash) == pytest.approx(cash)
        assert float(sim.trading.get_open_position("AAPL").qty) == 3
        assert sim.trading.get_order_by_client_id("persist-1").id == first.id
        with pytest.raises(APIError) as err:
            sim.buy("AAPL", 4, "persist-1")
        assert err.value.status_code == 422


def test_faults_5xx_reject_partial(sim: Sim) -> None:
    sim.fault(mode="5xx", count=1)
    with pytest.raises(APIError) as err:
        sim.trading.get_account()
    assert err.value.status_code == 500
    sim.fault(mode="reject", count=1)
    rejected = sim.buy("BAC", 10, "rej-1")
    assert rejected.status == OrderStatus.REJECTED
    assert sim.trading.get_all_positions() == []
    sim.fault(mode="partial", count=1)
    part = sim.buy("BAC", 10, "part-1")
    sim.clock.advance(120)
    got = sim.trading.get_order_by_id(part.id)
    assert got.status == OrderStatus.PARTIALLY_FILLED and float(got.filled_qty) == 5
    assert float(sim.trading.get_open_position("BAC").qty) == 5
    sim.fault(mode="partial", count=1, delay_s=60)
    rest = sim.buy("BAC", 4, "part-2")
    assert float(sim.trading.get_order_by_id(rest.id).filled_qty) == 2
    sim.clock.advance(61)
    assert sim.trading.get_order_by_id(rest.id).status == OrderStatus.FILLED
    assert float(sim.trading.get_open_position("BAC").qty) == 9


def test_timeout_fault_processes_the_order_but_answers_late(sim: Sim) -> None:
    sim.fault(mode="timeout", count=1, delay_s=5)
    headers = {"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}
    body = {"symbol": "XOM", "qty": "3", "side": "buy", "type": "market", "time_in_force": "day",
            "client_order_id": "late-1"}
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{sim.url}/v2/orders", json=body, headers=headers, timeout=(2, 0.3))
    sim.fault(mode="none")
    assert sim.trading.get_order_by_client_id("late-1").status == OrderStatus.FILLED


def test_auth_headers_required(sim: Sim) -> None:
    assert requests.get(f"{sim.url}/v2/account", timeout=5).status_code == 401
    half = requests.get(f"{sim.url}/v2/account", headers={"APCA-API-KEY-ID": "k"}, timeout=5)
    assert half.status_code == 401 and half.json()["code"] == 40110000
    assert requests.get(f"{sim.url}/v2/nothing", headers={"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"},
                        timeout=5).status_code == 404


def test_control_ledger_and_reset(sim: Sim) -> None:
    sim.buy("WMT", 2)
    ledger = requests.get(f"{sim.url}/_sim/ledger", timeout=5).json()
    assert len(ledger["orders"]) == 1 and ledger["positions"]["WMT"]["qty"] == 2
    assert float(ledger["account"]["equity"]) > 0
    requests.post(f"{sim.url}/_sim/reset", timeout=5).raise_for_status()
    assert sim.trading.get_all_positions() == [] and float(sim.trading.get_account().cash) == 100_000
