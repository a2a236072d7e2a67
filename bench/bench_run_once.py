"""Benchmark: the engine's `run_once()` with the v1 steps on caches of 50, 500 and 5,000 symbols.

Broker calls are answered by an in-process fake (fills at once, keeps positions), so only our
code is timed: cache read + validation, scoring, reconciliation, exits, entries, displacement,
logs and state writes. The simulated clock advances one minute per cycle inside a session, so
entries, exits and displacements really happen while it is measured.

Writes bench/results/run_once.json and prints one summary line. Target: p99 < 50 ms at 500.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from src.broker.interface import (  # noqa: E402
    Account,
    AssetInfo,
    BrokerOrder,
    BrokerPosition,
    MarketClock,
    OrderRequest,
    Quote,
)
from src.core.clock import FixedClock  # noqa: E402
from src.core.jsonio import atomic_write_json  # noqa: E402
from src.core.paths import Paths  # noqa: E402
from src.core.settings import load_settings  # noqa: E402
from src.engine.cycle import Engine, Step  # noqa: E402
from src.engine.pipeline import build_steps  # noqa: E402
from src.uw.flow_cache import CacheMeta, FlowCache  # noqa: E402

SIZES = (50, 500, 5000)
CYCLES = {50: 300, 500: 300, 5000: 60}
WARMUP = 5
START = datetime(2026, 11, 24, 14, 45, tzinfo=UTC)
RESULTS = ROOT / "bench" / "results" / "run_once.json"


class FakeBroker:
    """Just enough of a broker: instant fills at a random-walk price, positions, one account."""

    def __init__(self, clock: FixedClock, seed: int = 7) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self.cash = 100_000.0
        self.pos: dict[str, float] = {}
        self.avg: dict[str, float] = {}
        self.orders: dict[str, BrokerOrder] = {}
        self.px: dict[str, float] = {}

    def price(self, sym: str) -> float:
        p = self.px.get(sym) or 20.0 + (hash(sym) % 400)
        p *= 1.0 + self.rng.gauss(0, 0.003)
        self.px[sym] = p
        return round(p, 4)

    def account(self) -> Account:
        mv = sum(q * self.px.get(s, 0.0) for s, q in self.pos.items())
        eq = self.cash + mv
        return Account(equity=eq, buying_power=2 * eq, last_equity=100_000.0, cash=self.cash, shorting_enabled=True)

    def positions(self) -> list[BrokerPosition]:
        return [
            BrokerPosition(s, "long" if q > 0 else "short", abs(q), self.avg[s], self.px.get(s))
            for s, q in self.pos.items()
            if q
        ]

    def open_orders(self) -> list[BrokerOrder]:
        return []

    def order_by_client_id(self, cid: str) -> BrokerOrder | None:
        return self.orders.get(cid)

    def submit(self, req: OrderRequest) -> BrokerOrder:
        px = self.price(req.symbol)
        signed = req.qty if req.side == "buy" else -req.qty
        old = self.pos.get(req.symbol, 0.0)
        new = old + signed
        if old == 0 or (old > 0) == (signed > 0):
            self.avg[req.symbol] = (abs(old) * self.avg.get(req.symbol, 0.0) + req.qty * px) / abs(new)
        self.cash -= signed * px
        if abs(new) < 1e-9:
            self.pos.pop(req.symbol, None)
        else:
            self.pos[req.symbol] = new
        o = BrokerOrder(str(uuid.uuid4()), req.client_order_id, req.symbol, req.side, req.qty, req.qty, "filled", px)
        self.orders[req.client_order_id] = o
        return o

    def cancel(self, order_id: str) -> None:
        return None

    def latest_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        return {s: Quote(s, self.price(s) - 0.01, self.price(s) + 0.01) for s in symbols}

    def clock(self) -> MarketClock:
        return MarketClock(True, self.clock.now())

    def asset(self, symbol: str) -> AssetInfo | None:
        return AssetInfo(symbol, tradable=True, shortable=True)


def make_cache(n: int, now: float, seed: int) -> FlowCache:
    rng = random.Random(seed)
    symbols = {}
    for i in range(n):
        calls, puts = rng.uniform(5e4, 2e6), rng.uniform(5e4, 2e6)
        symbols[f"S{i:05d}"] = {
            "last_update": now,
            "price": round(rng.uniform(5, 500), 2),
            "flow": {"call_premium": calls, "put_premium": puts, "net_premium": calls - puts,
                     "sweep_count": rng.randint(0, 9), "block_count": rng.randint(0, 2),
                     "repeated_hits": rng.randint(0, 5), "alert_count": rng.randint(0, 30),
                     "sentiment": "BULLISH" if calls > 1.3 * puts else "BEARISH" if puts > 1.3 * calls else "NEUTRAL"},
            "dark_pool": {"print_count": rng.randint(0, 50), "total_notional": rng.uniform(0, 8e7)},
            "greek_exposure": {"net_gamma": rng.uniform(-8e6, 8e6)},
            "oi_change": {"net_oi_change": rng.uniform(-2e4, 2e4)},
            "iv_rank": {"value": rng.uniform(0, 100)},
        }  # fmt: skip
    market = {"market_tide": {"data": {"net_call_premium": 3e7, "net_put_premium": 1e7}, "last_update": now}}
    return FlowCache.model_validate({"_meta": CacheMeta(written_at=now).model_dump(), "market": market,
                                     "symbols": symbols})  # fmt: skip


def _timed(step: Step, sink: dict[str, list[float]]) -> Step:
    def run(ctx):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            step.fn(ctx)
        finally:
            sink[step.name].append((time.perf_counter() - t0) * 1000.0)

    return Step(step.name, run)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def bench_size(n: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="stockbot-bench-") as tmp:
        os.environ["STOCKBOT_HOME"] = tmp
        paths = Paths(Path(tmp)).ensure()
        clock = FixedClock(START)
        broker = FakeBroker(clock)
        settings = load_settings(home=Path(tmp), mode="sim", shadow_enabled=False)
        startup, steps = build_steps(settings, paths, clock, broker_factory=lambda: broker)
        step_ms: dict[str, list[float]] = {st.name: [] for st in steps}
        engine = Engine(settings, paths, clock, [_timed(st, step_ms) for st in steps], startup)
        engine.startup()
        durations: list[float] = []
        for c in range(CYCLES[n] + WARMUP):
            if c % 30 == 0:  # the daemon rewrites the cache; fresh flows move scores around
                cache = make_cache(n, clock.now().timestamp(), seed=c)
                atomic_write_json(paths.uw_flow_cache, cache.model_dump(mode="json", by_alias=True))
            res = engine.run_once()
            if res.errors:
                raise SystemExit(f"bench cycle failed: {res.errors}")
            if c >= WARMUP:
                durations.append(res.duration_ms)
            else:
                for v in step_ms.values():
                    v.clear()
            clock.advance(60)
        orders = len(broker.orders)
    return {
        "symbols": n,
        "cycles": len(durations),
        "p50_ms": round(statistics.median(durations), 3),
        "p99_ms": round(pct(durations, 0.99), 3),
        "max_ms": round(max(durations), 3),
        "mean_ms": round(statistics.fmean(durations), 3),
        "orders": orders,
        "steps_p50_ms": {k: round(statistics.median(v), 3) for k, v in step_ms.items() if v},
        "steps_p99_ms": {k: round(pct(v, 0.99), 3) for k, v in step_ms.items() if v},
    }


def main() -> int:
    rows = [bench_size(n) for n in SIZES]
    by = {r["symbols"]: r for r in rows}
    growth = round(float(by[5000]["p50_ms"]) / max(float(by[500]["p50_ms"]), 1e-9), 2)
    out = {
        "bench": "run_once",
        "ran_at": datetime.now(UTC).isoformat(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "results": rows,
        "p50_growth_500_to_5000": growth,
        "target": "p99 < 50 ms at 500 symbols",
        "target_met": float(by[500]["p99_ms"]) < 50.0,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(RESULTS, out)
    parts = " | ".join(f"{r['symbols']}: p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms" for r in rows)
    print(f"run_once: {parts} | x{growth} from 500->5000 | target {'met' if out['target_met'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
