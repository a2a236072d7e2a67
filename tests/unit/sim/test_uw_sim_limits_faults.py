"""UW simulator metering (headers, per-minute and daily 429s), auth, faults and control endpoints."""

from __future__ import annotations

import json

import pytest

from src.core.clock import FixedClock
from src.sim.uw_sim import create_app

AUTH = {"Authorization": "Bearer test-key"}
TIDE = "/api/market/market-tide"
INFO = "/api/stock/AAPL/info"


def _client(clock: FixedClock, **kw):
    return create_app(clock=clock, **kw).test_client()


def test_auth_required(clock: FixedClock) -> None:
    client = _client(clock)
    assert client.get(INFO).status_code == 401
    assert client.get(INFO, headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get(INFO, headers={"Authorization": "Token abc"}).status_code == 401
    assert client.get(INFO, headers=AUTH).status_code == 200
    assert _client(clock, require_key=False).get(INFO).status_code == 200


def test_rate_limit_headers_count_requests(clock: FixedClock) -> None:
    client = _client(clock, daily_limit=1234)
    counts = []
    for _ in range(3):
        resp = client.get(INFO, headers=AUTH)
        assert resp.headers["x-uw-token-req-limit"] == "1234"
        counts.append(int(resp.headers["x-uw-daily-req-count"]))
    assert counts == [1, 2, 3]
    assert "x-uw-daily-req-count" in client.get("/api/unknown", headers=AUTH).headers


def test_per_minute_limit_gives_429_with_retry_after(clock: FixedClock) -> None:
    client = _client(clock, per_minute_limit=3)
    assert [client.get(INFO, headers=AUTH).status_code for _ in range(3)] == [200, 200, 200]
    blocked = client.get(INFO, headers=AUTH)
    assert blocked.status_code == 429
    retry = int(blocked.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert int(blocked.headers["x-uw-daily-req-count"]) == 3  # refused requests are not billed
    clock.advance(retry)
    assert client.get(INFO, headers=AUTH).status_code == 200


def test_daily_limit_gives_429_until_new_york_midnight(clock: FixedClock) -> None:
    client = _client(clock, daily_limit=2)
    assert [client.get(INFO, headers=AUTH).status_code for _ in range(2)] == [200, 200]
    clock.advance(3600)
    blocked = client.get(INFO, headers=AUTH)
    assert blocked.status_code == 429
    retry = int(blocked.headers["Retry-After"])
    assert 3600 < retry < 24 * 3600
    clock.advance(retry)
    ok = client.get(INFO, headers=AUTH)
    assert ok.status_code == 200 and ok.headers["x-uw-daily-req-count"] == "1"


def test_control_endpoints_do_not_count(clock: FixedClock) -> None:
    client = _client(clock, per_minute_limit=1)
    for _ in range(5):
        assert client.get("/_sim/stats").status_code == 200
        assert client.post("/_sim/faults", json={"mode": "none"}).status_code == 200
    assert client.get(INFO, headers=AUTH).status_code == 200
    stats = client.get("/_sim/stats").get_json()
    assert stats["total"] == 1 and stats["by_path"] == {INFO: 1} and stats["status_counts"] == {"200": 1}


def test_stats_and_reset(clock: FixedClock) -> None:
    client = _client(clock, per_minute_limit=2)
    client.get(INFO, headers=AUTH)
    client.get(TIDE, headers=AUTH)
    client.get(TIDE, headers=AUTH)
    client.get(TIDE)
    stats = client.get("/_sim/stats").get_json()
    assert stats["total"] == 4
    assert stats["by_path"] == {INFO: 1, TIDE: 3}
    assert stats["status_counts"] == {"200": 2, "429": 1, "401": 1}
    client.post("/_sim/faults", json={"mode": "5xx"})
    assert client.post("/_sim/reset").status_code == 200
    assert client.get("/_sim/stats").get_json()["total"] == 0
    assert client.get(INFO, headers=AUTH).status_code == 200  # limits and faults cleared


def test_fault_5xx_with_count_then_recovers(clock: FixedClock) -> None:
    client = _client(clock)
    client.post("/_sim/faults", json={"mode": "5xx", "count": 2})
    codes = [client.get(INFO, headers=AUTH).status_code for _ in range(3)]
    assert codes == [500, 500, 200]


def test_fault_paths_prefix_limits_scope(clock: FixedClock) -> None:
    client = _client(clock)
    client.post("/_sim/faults", json={"mode": "5xx", "paths": ["/api/market/"]})
    assert client.get(TIDE, headers=AUTH).status_code == 500
    assert client.get(INFO, headers=AUTH).status_code == 200
    assert client.get(TIDE, headers=AUTH).status_code == 500  # no count: until cleared
    client.post("/_sim/faults", json={"mode": "none"})
    assert client.get(TIDE, headers=AUTH).status_code == 200


def test_fault_malformed_is_not_json(clock: FixedClock) -> None:
    client = _client(clock)
    client.post("/_sim/faults", json={"mode": "malformed", "count": 1})
    resp = client.get(TIDE, headers=AUTH)
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.get_data(as_text=True))


def test_fault_empty_returns_empty_data(clock: FixedClock) -> None:
    client = _client(clock)
    client.post("/_sim/faults", json={"mode": "empty", "count": 1})
    assert client.get(TIDE, headers=AUTH).get_json() == {"data": []}
    assert client.get(TIDE, headers=AUTH).get_json()["data"]


def test_fault_wrong_types_changes_every_leaf_type(clock: FixedClock) -> None:
    client = _client(clock)
    good = client.get(INFO, headers=AUTH).get_json()["data"]
    client.post("/_sim/faults", json={"mode": "wrong_types", "count": 1})
    bad = client.get(INFO, headers=AUTH).get_json()["data"]
    assert set(bad) == set(good)
    for key, value in good.items():
        if isinstance(value, (str, int, float, bool)):
            assert type(bad[key]) is not type(value), key


def test_fault_429_sends_retry_after(clock: FixedClock) -> None:
    client = _client(clock)
    client.post("/_sim/faults", json={"mode": "429", "count": 1, "delay_s": 7})
    resp = client.get(INFO, headers=AUTH)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert "x-uw-daily-req-count" in resp.headers
    assert client.get(INFO, headers=AUTH).status_code == 200


def test_fault_slow_still_answers(clock: FixedClock) -> None:
    client = _client(clock)
    client.post("/_sim/faults", json={"mode": "slow", "count": 1, "delay_s": 0.05})
    assert client.get(INFO, headers=AUTH).status_code == 200
    assert client.get("/_sim/faults").get_json()["mode"] == "none"  # count consumed


def test_fault_request_validation(clock: FixedClock) -> None:
    client = _client(clock)
    assert client.post("/_sim/faults", json={"mode": "explode"}).status_code == 400
    assert client.post("/_sim/faults", json={"mode": "5xx", "count": "x"}).status_code == 400
