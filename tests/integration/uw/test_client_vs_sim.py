"""uw_client against the real UW simulator: 429/Retry-After, stale fallback, malformed payloads, headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.core.clock import FixedClock
from src.core.state import load_state
from src.uw.usage import UsageState
from src.uw.uw_client import UWBadResponse, UWClient, UWRateLimited, UWUnavailable
from tests.conftest import events
from tests.integration.uw.conftest import make_settings
from tests.integration.uw.sim_server import running_sim

SESSION = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # a regular Tuesday session, 11:00 ET


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SESSION)


@pytest.fixture
def sim(clock):
    with running_sim(clock=clock, daily_limit=1000) as s:
        yield s


def test_429_retry_after_is_honoured_then_succeeds(paths, sim, clock):
    client = UWClient(make_settings(sim.url, uw_max_wait_s=5.0), paths, caller="intel", clock=clock)
    sim.faults("429", paths=["/api/market/market-tide"], count=1, delay_s=2)
    start = clock.now()
    resp = client.get("/api/market/market-tide")
    assert resp.items and resp.stale is False
    assert (clock.now() - start).total_seconds() >= 2.0  # waited out Retry-After before retrying
    assert sim.stats()["by_path"]["/api/market/market-tide"] == 2
    state = load_state(paths.uw_usage_state, UsageState)
    assert state.rate_limited_429 == 1
    block = events(paths, "uw_rate_limit_block")
    assert len(block) == 1 and block[0]["details"]["reason"] == "http_429"


def test_persistent_429_raises_rate_limited_after_bounded_retries(paths, sim, clock):
    client = UWClient(make_settings(sim.url, uw_max_wait_s=5.0, uw_max_retries=2), paths, caller="intel", clock=clock)
    sim.faults("429", paths=["/api/market/top-net-impact"], delay_s=1)
    with pytest.raises(UWRateLimited):
        client.get("/api/market/top-net-impact")
    assert sim.stats()["by_path"]["/api/market/top-net-impact"] == 3  # first try + 2 retries


def test_5xx_serves_last_good_copy_marked_stale(paths, sim, clock):
    client = UWClient(make_settings(sim.url), paths, caller="intel", clock=clock)
    good = client.get("/api/stock/AAPL/greek-exposure")
    sim.faults("5xx", paths=["/api/stock/AAPL/greek-exposure"])
    clock.advance(3600)  # far past the TTL
    stale = client.get("/api/stock/AAPL/greek-exposure")
    assert stale.stale is True and stale.data == good.data
    assert sim.stats()["by_path"]["/api/stock/AAPL/greek-exposure"] == 1 + 3  # one good, then 1 + 2 retries
    assert len(events(paths, "uw_stale_served")) == 1
    with pytest.raises(UWUnavailable):  # no good copy for another symbol
        client.get("/api/stock/AAPL/greek-exposure", params={"date": "2026-11-23"})


def test_timeout_serves_stale_copy(paths, sim, clock):
    client = UWClient(
        make_settings(sim.url, uw_read_timeout_s=0.2, uw_max_retries=1), paths, caller="intel", clock=clock
    )
    good = client.get("/api/stock/MSFT/iv-rank")
    sim.faults("slow", paths=["/api/stock/MSFT/iv-rank"], delay_s=1.0)
    clock.advance(3600)
    resp = client.get("/api/stock/MSFT/iv-rank")
    assert resp.stale is True and resp.data == good.data


@pytest.mark.parametrize("mode", ["malformed"])
def test_malformed_json_is_an_error_event_not_a_crash(paths, sim, clock, mode):
    client = UWClient(make_settings(sim.url), paths, caller="intel", clock=clock)
    sim.faults(mode, paths=["/api/darkpool/recent"])
    with pytest.raises(UWBadResponse):
        client.get("/api/darkpool/recent")
    evs = events(paths, "uw_bad_response")
    assert len(evs) == 1 and evs[0]["details"]["reason"] == "malformed JSON"


def test_wrong_shape_is_rejected(paths, uw_server):
    """A body whose rows are not objects does not match the spec's response schema."""
    uw_server.answer(200, {"data": ["not", "objects"]})
    uw_server.answer(200, {"data": "surprise"})
    client = UWClient(make_settings(uw_server.url), paths, caller="intel")
    for _ in range(2):
        with pytest.raises(UWBadResponse):
            client.get("/api/darkpool/recent", cache=False)
    assert len(events(paths, "uw_bad_response")) == 2


def test_headers_correct_the_local_budget(paths, sim, clock):
    other = sim.app.test_client()  # the same key spent elsewhere: UW counts it, we did not
    for _ in range(40):
        other.get("/api/market/market-tide", headers={"Authorization": "Bearer sim-key"})
    settings = make_settings(sim.url, uw_daemon_reserve=8000)  # 10% of 80,000 -> 100 of UW's 1,000
    client = UWClient(settings, paths, caller="intel", clock=clock)
    client.get("/api/market/top-net-impact")
    client.close()
    state = load_state(paths.uw_usage_state, UsageState)
    assert state.local_calls_today == 1
    assert state.header_daily_count == 41 and state.calls_today == 41
    assert state.header_daily_limit == 1000  # the key's limit, below the configured 80,000
    assert client.limiter.budget_left("intel") == 1000 - 100 - 41
    assert client.limiter.budget_left("daemon") == 1000 - 41


def test_budget_exhausted_by_header_refuses_non_daemon_callers(paths, clock):
    with running_sim(clock=clock, daily_limit=30) as sim:
        other = sim.app.test_client()
        for _ in range(25):
            other.get("/api/market/market-tide", headers={"Authorization": "Bearer sim-key"})
        client = UWClient(
            make_settings(sim.url, uw_daily_budget=30, uw_daemon_reserve=5), paths, caller="intel", clock=clock
        )
        client.get("/api/market/top-net-impact")  # learns: 26 of 30 used, reserve 5 -> intel is done
        with pytest.raises(UWRateLimited) as exc:
            client.get("/api/darkpool/recent")
        assert exc.value.reason == "daily_budget"
        before = sim.stats()["total"]
        daemon = UWClient(
            make_settings(sim.url, uw_daily_budget=30, uw_daemon_reserve=5), paths, caller="daemon", clock=clock
        )
        daemon.get("/api/darkpool/recent")  # the reserve is the daemon's
        assert sim.stats()["total"] == before + 1
    assert any(e["details"]["reason"] == "daily_budget" for e in events(paths, "uw_rate_limit_block"))
