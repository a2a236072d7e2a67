"""Contract 4.5: UW calls route through src/uw/uw_client.py; symbol-level calls are restricted to
daily_universe ∪ core_universe; usage lives in state/uw_usage_state.json, responses in state/uw_cache/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from src.core.state import save_state
from src.uw.universe import UniverseEntry, UniverseFile, allowed_symbols
from src.uw.uw_client import UWClient, UWUniverseRefused
from tests.conftest import events
from tests.integration.uw.conftest import CountingServer, make_settings
from tests.integration.uw.conftest import uw_server as _uw_server


@pytest.fixture
def uw_server() -> Iterator[CountingServer]:
    yield from _uw_server.__wrapped__()


def test_allowed_symbols_is_the_union(home):
    save_state(home.daily_universe, UniverseFile(as_of="2026-11-27", symbols=[UniverseEntry(symbol="aapl", rank=1)]))
    save_state(home.core_universe, UniverseFile(symbols=[UniverseEntry(symbol="SPY"), UniverseEntry(symbol="AAPL")]))
    assert allowed_symbols(home) == {"AAPL", "SPY"}


def test_corrupt_universe_file_heals_and_counts_as_empty(home):
    home.daily_universe.write_text("{not json")
    save_state(home.core_universe, UniverseFile(symbols=[UniverseEntry(symbol="QQQ")]))
    assert allowed_symbols(home) == {"QQQ"}
    assert len(events(home, "state_file_corrupted")) == 1


def test_symbol_calls_outside_union_refused_and_inside_allowed(home, uw_server):
    save_state(home.daily_universe, UniverseFile(symbols=[UniverseEntry(symbol="NVDA")]))
    save_state(home.core_universe, UniverseFile(symbols=[UniverseEntry(symbol="SPY")]))
    client = UWClient(make_settings(uw_server.url), home, caller="intel")
    with pytest.raises(UWUniverseRefused):
        client.get("/api/stock/TSLA/greek-exposure")
    client.get("/api/stock/NVDA/greek-exposure")
    client.get("/api/etfs/SPY/in-outflow")
    assert [h["path"] for h in uw_server.hits] == ["/api/stock/NVDA/greek-exposure", "/api/etfs/SPY/in-outflow"]
    assert len(events(home, "uw_universe_refused")) == 1
    assert home.uw_usage_state.exists() and any(home.uw_cache_dir.rglob("*.json"))


def test_universe_change_is_seen_without_restart(home, uw_server):
    save_state(home.core_universe, UniverseFile(symbols=[UniverseEntry(symbol="SPY")]))
    client = UWClient(make_settings(uw_server.url), home, caller="intel")
    with pytest.raises(UWUniverseRefused):
        client.get("/api/darkpool/AMD")
    save_state(home.daily_universe, UniverseFile(symbols=[UniverseEntry(symbol="AMD")]))
    client.get("/api/darkpool/AMD")
