"""The UW simulator served in-process (port 0) on a fixed simulated day, and a client pointed at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from src.core.clock import FixedClock
from src.core.paths import Paths
from src.core.settings import Settings

SIM_DAY = "2026-03-10"  # a Tuesday session
PREMARKET = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 08:00 New York
POSTMARKET = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)  # 17:00 New York


@dataclass
class Sim:
    url: str
    clock: FixedClock

    def faults(self, **spec: Any) -> None:
        requests.post(f"{self.url}/_sim/faults", json=spec, timeout=5).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()


@pytest.fixture
def uw_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sim]:
    from src.sim.uw_sim import create_app

    clock = FixedClock(PREMARKET)
    app = create_app(seed=7, clock=clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("UW_BASE_URL", url)
    monkeypatch.setenv("UW_API_KEY", "test-key")
    try:
        yield Sim(url, clock)
    finally:
        server.shutdown()
        t.join(timeout=5)


def sim_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {"uw_api_key": "test-key", "uw_base_url": url, "uw_backoff_base_s": 0.0,
                            "uw_max_wait_s": 0.0, "uw_connect_timeout_s": 2.0, "uw_read_timeout_s": 5.0}
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def settings(uw_sim: Sim, home: Paths) -> Settings:
    return sim_settings(uw_sim.url)
