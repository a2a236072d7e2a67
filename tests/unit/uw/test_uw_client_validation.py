"""Contract 4.8: invalid endpoints, undeclared params and path injection never reach the network."""

from __future__ import annotations

import pytest

from src.core.clock import FixedClock
from src.uw.uw_client import UWClient, UWUniverseRefused
from tests.conftest import events

BAD_CALLS = [
    ("/api/stock/AAPL/not-a-real-endpoint", None),
    ("/api/stocks/AAPL/greek-exposure", None),
    ("/v2/stock/AAPL/greek-exposure", None),
    ("/api/stock/AAPL/greek-exposure", {"window": "5m"}),
    ("/api/darkpool/AAPL", {"limit": 501}),
    ("/api/stock/AAPL/ohlc/2m", None),
    ("/api/stock/../greek-exposure", None),
    ("/api/stock/..%2F..%2Fadmin/greek-exposure", None),
    ("/api/stock/AAPL%2FMSFT/greek-exposure", None),
    ("/api/stock/aapl/greek-exposure", None),
    ("/api/stock/AAPL/greek-exposure?date=2026-11-27", None),
    ("/api/stock/AA PL/greek-exposure", None),
    ("https://evil.example/api/stock/AAPL/greek-exposure", None),
]


@pytest.mark.parametrize(("path", "params"), BAD_CALLS)
def test_invalid_calls_raise_before_any_request(paths, uw_server, settings_for, path, params):
    client = UWClient(settings_for(uw_server.url), paths, caller="intel", clock=FixedClock_now())
    with pytest.raises(ValueError):
        client.get(path, params=params)
    assert uw_server.hits == []
    evs = events(paths, "uw_invalid_endpoint_attempt")
    assert len(evs) == 1
    assert evs[0]["details"]["caller"] == "intel"
    # nothing was spent: no usage state written, no cache entry
    assert not paths.uw_usage_state.exists()
    assert not any(paths.uw_cache_dir.rglob("*.json"))


def FixedClock_now() -> FixedClock:  # noqa: N802 - reads like a constant in the table above
    from datetime import UTC, datetime

    return FixedClock(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))


def test_valid_call_reaches_server_with_bearer_and_params(paths, uw_server, settings_for):
    uw_server.answer(200, {"data": [{"date": "2026-11-27", "call_gamma": "1.5"}]})
    client = UWClient(settings_for(uw_server.url), paths, caller="intel")
    resp = client.get("/api/stock/AAPL/greek-exposure", params={"date": "2026-11-27"})
    assert resp.items == [{"date": "2026-11-27", "call_gamma": "1.5"}]
    assert resp.stale is False and resp.from_cache is False
    assert uw_server.hits == [
        {"path": "/api/stock/AAPL/greek-exposure", "args": {"date": "2026-11-27"}, "auth": "Bearer test-uw-key-123456"}
    ]
    assert events(paths, "uw_invalid_endpoint_attempt") == []


def test_second_call_within_ttl_is_served_from_cache(paths, uw_server, settings_for):
    uw_server.answer(200, {"data": [{"iv_rank_1y": "40"}]})
    client = UWClient(settings_for(uw_server.url), paths, caller="intel")
    first = client.get("/api/stock/MSFT/iv-rank")
    second = client.get("/api/stock/MSFT/iv-rank")
    assert first.from_cache is False and second.from_cache is True
    assert second.items == [{"iv_rank_1y": "40"}]
    assert len(uw_server.hits) == 1


def test_ticker_outside_universe_is_refused_without_request(paths, uw_server, settings_for):
    from src.core.state import save_state
    from src.uw.universe import UniverseEntry, UniverseFile

    save_state(paths.core_universe, UniverseFile(symbols=[UniverseEntry(symbol="AAPL")]))
    client = UWClient(settings_for(uw_server.url), paths, caller="intel")
    with pytest.raises(UWUniverseRefused):
        client.get("/api/darkpool/ZZZZ")
    with pytest.raises(UWUniverseRefused):
        client.get("/api/option-trades/flow-alerts", params={"ticker_symbol": "AAPL,ZZZZ"})
    assert uw_server.hits == []
    assert len(events(paths, "uw_universe_refused")) == 2
    client.get("/api/darkpool/AAPL")
    client.get("/api/market/market-tide")  # market-wide calls are not symbol-level
    assert [h["path"] for h in uw_server.hits] == ["/api/darkpool/AAPL", "/api/market/market-tide"]


def test_default_core_applies_when_universe_files_are_missing(paths, uw_server, settings_for):
    client = UWClient(settings_for(uw_server.url, uw_default_core="AAPL,SPY"), paths, caller="intel")
    client.get("/api/darkpool/SPY")
    with pytest.raises(UWUniverseRefused):
        client.get("/api/darkpool/MSFT")


def test_key_never_in_events_or_cache(paths, uw_server, settings_for):
    for _ in range(3):
        uw_server.answer(500, raw=b"boom")
    client = UWClient(settings_for(uw_server.url), paths, caller="intel")
    with pytest.raises(Exception) as exc:
        client.get("/api/stock/AAPL/max-pain")
    assert "test-uw-key-123456" not in str(exc.value)
    for f in [paths.system_events, paths.uw_usage_state, *paths.uw_cache_dir.rglob("*.json")]:
        if f.exists():
            assert "test-uw-key-123456" not in f.read_text()
