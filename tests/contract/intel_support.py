"""Shared pieces of the intel contract tests: the UW simulator in-process, a no-network guard,
and hand-built intel state files."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from src.core.clock import FixedClock
from src.core.paths import Paths
from src.core.settings import Settings
from src.core.state import save_state
from src.intel.models import IntelFile, MarketIntel, RegimeStateFile, SymbolIntel
from src.uw.universe import UniverseEntry, UniverseFile

SIM_DAY = "2026-03-10"  # a Tuesday session
PREMARKET = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 08:00 New York
MIDDAY = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
POSTMARKET = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)  # 17:00 New York


@dataclass
class Sim:
    url: str
    clock: FixedClock

    def faults(self, **spec: Any) -> None:
        requests.post(f"{self.url}/_sim/faults", json=spec, timeout=5).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()


@contextmanager
def serve_sim() -> Iterator[Sim]:
    """The simulator on an ephemeral port, its clock fixed at PREMARKET of SIM_DAY."""
    from src.sim.uw_sim import create_app

    clock = FixedClock(PREMARKET)
    server = make_server("127.0.0.1", 0, create_app(seed=7, clock=clock), threaded=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield Sim(f"http://127.0.0.1:{server.server_port}", clock)
    finally:
        server.shutdown()
        t.join(timeout=5)


@pytest.fixture
def uw_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sim]:
    with serve_sim() as sim:
        monkeypatch.setenv("UW_BASE_URL", sim.url)
        monkeypatch.setenv("UW_API_KEY", "test-key")
        yield sim


def sim_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "uw_api_key": "test-key",
        "uw_base_url": url,
        "uw_backoff_base_s": 0.0,
        "uw_max_wait_s": 0.0,
        "uw_connect_timeout_s": 2.0,
        "uw_read_timeout_s": 5.0,
    }
    base.update(overrides)
    return Settings(**base)


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any socket connect (TCP, UDP, unix) fails the test; returns the attempted addresses."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *a: Any, **k: Any) -> Any:
        attempts.append(address)
        raise NetworkUsed(f"network access during a no-network section: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))  # type: ignore[arg-type]
    return attempts


def write_intel_state(paths: Paths, at: datetime, symbols: tuple[str, ...] = ("AAPL", "XOM")) -> None:
    """A small but complete set of intel state files, all produced at `at`."""
    stamp = at.isoformat()
    tide = {"intervals": 12, "tide_ratio": 0.3, "net_premium": 1e7, "persistence": 0.9, "sign_flips": 0, "as_of": stamp}
    pre = IntelFile(
        kind="premarket",
        day=SIM_DAY,
        as_of=stamp,
        generated_at=stamp,
        universe=list(symbols),
        market=MarketIntel(market_tide=tide, sector_tide={"TECHNOLOGY": dict(tide, tide_ratio=0.5)}),
    )
    for s in symbols:
        pre.symbols[s] = SymbolIntel(
            symbol=s,
            flow={"call_premium": 3e6, "put_premium": 1e6, "as_of": stamp},
            net_premium={"net_ratio": 0.4, "as_of": stamp},
            dark_pool={"total_notional": 2e8, "as_of": stamp},
            greek_exposure={"gamma_regime": "negative", "as_of": stamp},
            earnings={"days_to_earnings": 30},
        )
    save_state(paths.premarket_intel, pre)
    post = pre.model_copy(update={"kind": "postmarket"})
    save_state(paths.postmarket_intel, post)
    save_state(paths.regime_state, RegimeStateFile(regime="risk_on", confidence=0.7, as_of=stamp, generated_at=stamp))
    uni = UniverseFile(
        as_of=SIM_DAY,
        generated_at=at.timestamp(),
        symbols=[UniverseEntry(symbol=s, rank=i + 1, reason="test", score=1.0) for i, s in enumerate(symbols)],
    )
    save_state(paths.daily_universe_v2, uni)
    save_state(paths.daily_universe, uni)
    save_state(paths.core_universe, UniverseFile(as_of=SIM_DAY, generated_at=at.timestamp()))


def days_ago(at: datetime, days: float) -> datetime:
    return at - timedelta(days=days)
