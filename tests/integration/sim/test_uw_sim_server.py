"""The UW simulator over real HTTP: a client timeout on the timeout fault, and a normal session."""

from __future__ import annotations

import pytest
import requests

from src.core.clock import FixedClock
from src.sim.uw_sim import create_app
from tests.integration.sim.serving import serve
from tests.unit.sim.conftest import MID_SESSION

AUTH = {"Authorization": "Bearer test-key"}


def test_timeout_fault_trips_client_read_timeout() -> None:
    app = create_app(clock=FixedClock(MID_SESSION))
    with serve(app) as url:
        requests.post(f"{url}/_sim/faults", json={"mode": "timeout", "count": 1, "delay_s": 5}, timeout=5)
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{url}/api/market/market-tide", headers=AUTH, timeout=(2, 0.3))
        # the sleeping handler is released by clearing faults, and the next call is normal
        requests.post(f"{url}/_sim/faults", json={"mode": "none"}, timeout=5)
        ok = requests.get(f"{url}/api/market/market-tide", headers=AUTH, timeout=10)
        assert ok.status_code == 200 and ok.json()["data"]


def test_served_over_http_with_headers() -> None:
    app = create_app(clock=FixedClock(MID_SESSION), daily_limit=80000)
    with serve(app) as url:
        resp = requests.get(f"{url}/api/stock/AAPL/flow-recent", headers=AUTH, timeout=10)
        assert resp.status_code == 200
        assert resp.headers["x-uw-token-req-limit"] == "80000"
        assert resp.headers["x-uw-daily-req-count"] == "1"
        assert resp.headers["Content-Type"].startswith("application/json")
        assert requests.get(f"{url}/api/stock/AAPL/flow-recent", timeout=10).status_code == 401
        stats = requests.get(f"{url}/_sim/stats", timeout=10).json()
        assert stats["status_counts"] == {"200": 1, "401": 1}
