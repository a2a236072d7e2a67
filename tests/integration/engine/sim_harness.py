"""Harness: the Alpaca simulator in-process on an ephemeral port, sharing a FixedClock with the engine.

Plain functions (importable by the contract tests too); the `sim` fixture wraps `serve_sim`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from src.core.clock import FixedClock
from src.core.jsonio import atomic_write_json
from src.core.paths import Paths
from src.core.settings import load_settings
from src.engine.cycle import Engine
from src.engine.pipeline import build_steps
from src.sim.alpaca_sim import create_app
from src.uw.flow_cache import CacheMeta, FlowCache

SESSION_START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 10:00 New York


@dataclass
class SimHandle:
    url: str
    clock: FixedClock
    ledger_path: Path

    def ledger(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sim/ledger", timeout=5).json()

    def fault(self, **spec: Any) -> None:
        requests.post(f"{self.url}/_sim/faults", json=spec, timeout=5).raise_for_status()

    def positions(self) -> dict[str, float]:
        return {s: p["qty"] for s, p in self.ledger()["positions"].items()}


@contextmanager
def serve_sim(tmp_path: Path, start: datetime = SESSION_START) -> Iterator[SimHandle]:
    clock = FixedClock(start)
    ledger = tmp_path / "alpaca_ledger.json"
    app = create_app(ledger, clock=clock, shortable=set())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield SimHandle(f"http://127.0.0.1:{server.server_port}", clock, ledger)
    finally:
        server.shutdown()
        t.join(timeout=5)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimHandle]:
    with serve_sim(tmp_path) as handle:
        yield handle


def strong(price_hint: float | None = None, now: float = 0.0, calls: float = 1_500_000.0, dp: float = 50e6) -> dict:
    rec: dict[str, Any] = {
        "last_update": now,
        "flow": {
            "call_premium": calls,
            "put_premium": 100_000.0,
            "sweep_count": 6,
            "block_count": 1,
            "repeated_hits": 3,
            "sentiment": "BULLISH",
        },
        "dark_pool": {"print_count": 10, "total_notional": dp},
        "greek_exposure": {"net_gamma": 5e6},
    }
    if price_hint is not None:
        rec["price"] = price_hint
    return rec


def write_cache(paths: Paths, symbols: dict[str, dict], now: float) -> None:
    cache = FlowCache(meta=CacheMeta(written_at=now, written_by="test"), symbols=symbols)
    atomic_write_json(paths.uw_flow_cache, cache.model_dump(mode="json", by_alias=True))


def make_engine(paths: Paths, sim: SimHandle, **overrides: Any) -> Engine:
    overrides.setdefault("shadow_enabled", False)
    settings = load_settings(home=paths.root, mode="sim", alpaca_base_url=sim.url, **overrides)
    startup, steps = build_steps(settings, paths, sim.clock)
    return Engine(settings, paths, sim.clock, steps, startup)
