"""Contract 2.3: "Displacement, exit logic, reconciliation, attribution, and scoring MUST NOT raise
uncaught exceptions. All dictionary access MUST use .get() with safe defaults."

The v1 cycle runs against a broker that fails at random (typed errors, raw exceptions, garbage
answers) on a cache of malformed records and a corrupt book: run_once never raises, every
failure is listed in the cycle's errors and leaves an event, and the next clean cycle trades.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from src.broker.errors import BrokerUnavailable, OrderRejected
from src.broker.interface import Account, AssetInfo, BrokerOrder, BrokerPosition, MarketClock, Quote
from src.core.clock import FixedClock
from src.core.jsonio import atomic_write_json, read_jsonl
from src.core.paths import Paths
from src.core.settings import load_settings
from src.engine.cycle import Engine
from src.engine.pipeline import build_steps
from src.uw.flow_cache import CacheMeta, FlowCache

T0 = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


class ChaosBroker:
    """Answers correctly most of the time; otherwise raises something or returns nonsense."""

    def __init__(self, seed: int, failure_rate: float) -> None:
        self.rng = random.Random(seed)
        self.rate = failure_rate
        self.pos: dict[str, float] = {"AAPL": 5.0, "GHOST": 3.0}
        self.orders: dict[str, BrokerOrder] = {}

    def _maybe_fail(self) -> None:
        if self.rng.random() < self.rate:
            raise self.rng.choice(
                [
                    BrokerUnavailable("down"),
                    OrderRejected("no"),
                    RuntimeError("boom"),
                    KeyError("qty"),
                    ValueError("bad"),
                    TypeError("none"),
                ]
            )

    def account(self) -> Account:
        self._maybe_fail()
        return self.rng.choice(
            [
                Account(100_000.0, 200_000.0, 100_000.0, shorting_enabled=True),
                Account(None, None),
                Account(float("nan"), 5.0),
            ]
        )

    def positions(self) -> list[BrokerPosition]:
        self._maybe_fail()
        return [BrokerPosition(s, "long", q, self.rng.choice([0.0, 100.0, -1.0])) for s, q in self.pos.items()]

    def open_orders(self) -> list[BrokerOrder]:
        self._maybe_fail()
        return [o for o in self.orders.values() if o.is_open]

    def order_by_client_id(self, cid: str) -> BrokerOrder | None:
        self._maybe_fail()
        return self.orders.get(cid)

    def submit(self, req):  # type: ignore[no-untyped-def]
        self._maybe_fail()
        status = self.rng.choice(["filled", "new", "partially_filled", "rejected", "weird"])
        filled = {"filled": req.qty, "partially_filled": req.qty / 2}.get(status, 0.0)
        o = BrokerOrder(
            "id-" + req.client_order_id,
            req.client_order_id,
            req.symbol,
            req.side,
            req.qty,
            filled,
            status,
            self.rng.choice([None, 0.0, 101.5]),
        )
        self.orders[req.client_order_id] = o
        return o

    def cancel(self, order_id: str) -> None:
        self._maybe_fail()

    def latest_quotes(self, symbols):  # type: ignore[no-untyped-def]
        self._maybe_fail()
        return {s: Quote(s, self.rng.choice([None, 0.0, 99.0]), 101.0) for s in symbols}

    def clock(self) -> MarketClock:
        return MarketClock(True)

    def asset(self, symbol: str) -> AssetInfo | None:
        self._maybe_fail()
        return self.rng.choice([None, AssetInfo(symbol, True, True), AssetInfo(symbol, False, False)])


# record-level garbage (non-dict records make the whole cache unreadable: covered by contract 4.3)
GARBAGE = [
    {},
    {"flow": None},
    {"flow": [1, "x"]},
    {"price": -3, "toxicity": "high"},
    {"flow": "nope"},
    {"flow": {"call_premium": "NaN", "put_premium": None}},
    {
        "flow": {"call_premium": 2e6, "put_premium": 1e5, "sentiment": "BULLISH"},
        "price": "101.0",
        "dark_pool": [1, 2],
        "greek_exposure": {"net_gamma": float("inf")},
        "last_update": "soon",
    },
]


def _engine(home: Paths, broker: ChaosBroker, clock: FixedClock) -> Engine:
    startup, steps = build_steps(
        load_settings(home=home.root, shadow_enabled=False), home, clock, broker_factory=lambda: broker
    )
    return Engine(load_settings(home=home.root), home, clock, steps, startup)


def _cache(home: Paths, records: dict) -> None:
    c = FlowCache(
        meta=CacheMeta(written_at=T0.timestamp()),
        symbols=records,
        market={"market_tide": {"data": ["junk", {"net_call_premium": "1e7"}]}},
    )
    atomic_write_json(home.uw_flow_cache, c.model_dump(mode="json", by_alias=True))


def test_random_broker_failures_never_escape(home: Paths, read_events) -> None:
    clock = FixedClock(T0)
    broker = ChaosBroker(seed=3, failure_rate=0.25)
    _cache(home, {f"S{i}": GARBAGE[i % len(GARBAGE)] for i in range(40)})
    home.positions.write_text("{ corrupt")
    eng = _engine(home, broker, clock)
    eng.startup()
    statuses = []
    for _ in range(60):
        res = eng.run_once()  # must not raise
        statuses.append(res.engine_status)
        for err in res.errors:
            assert ":" in err  # "<step>: <what>"
        clock.advance(60)
    assert "degraded" in statuses
    assert read_events(home, "engine_step_failed") or read_events(home, "broker_unavailable")
    assert list(home.state.glob("positions.corrupted.*.json"))  # the corrupt book was quarantined
    rows, skipped = read_jsonl(home.run_log)
    assert len(rows) == 60 and skipped == 0


def test_clean_broker_after_chaos_trades_normally(home: Paths) -> None:
    clock = FixedClock(T0)
    broker = ChaosBroker(seed=5, failure_rate=0.0)
    _cache(home, {"AAPL": GARBAGE[-1], "MSFT": GARBAGE[-1]})
    eng = _engine(home, broker, clock)
    eng.startup()
    res = eng.run_once()
    assert res.errors == [] or all("broker" not in e for e in res.errors)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), rate=st.floats(0.0, 1.0))
def test_any_failure_pattern(home: Paths, tmp_path: Path, seed: int, rate: float) -> None:
    clock = FixedClock(T0)
    _cache(home, {f"S{i}": GARBAGE[(i + seed) % len(GARBAGE)] for i in range(8)})
    eng = _engine(home, ChaosBroker(seed, rate), clock)
    eng.startup()
    for _ in range(3):
        res = eng.run_once()
        assert res.engine_status in ("ok", "degraded")
        clock.advance(60)
