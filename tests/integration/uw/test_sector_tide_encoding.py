"""Sector tide paths are percent-encoded exactly once: by the caller, never again by the client.

UW sector names contain spaces ("Consumer Cyclical"). A raw space is refused as path injection,
the intel caller sends `%20`, and the client must put that on the wire unchanged (not `%2520`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from src.core.clock import FixedClock
from src.core.paths import REPO_ROOT
from src.intel.fetch import IntelFetcher
from src.intel.prepost import collect_market
from src.uw.uw_client import UWClient, uw_path
from tests.conftest import events
from tests.integration.uw.conftest import make_settings
from tests.integration.uw.sim_server import running_sim

SESSION = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def _uw_sector_names() -> dict[str, str]:
    doc = json.loads((REPO_ROOT / "config" / "sector_profiles.json").read_text(encoding="utf-8"))
    return {name: p["uw_sector"] for name, p in doc["sectors"].items() if p.get("uw_sector")}


@pytest.fixture
def sim():
    with running_sim(clock=FixedClock(SESSION), daily_limit=1000) as s:
        yield s


def test_profiles_have_multi_word_sector_names():
    assert any(" " in n for n in _uw_sector_names().values())  # otherwise this file tests nothing


def test_every_profile_sector_tide_succeeds_through_the_client(paths, sim):
    client = UWClient(make_settings(sim.url), paths, caller="intel", clock=FixedClock(SESSION))
    for uw_name in _uw_sector_names().values():
        resp = client.get(uw_path("/api/market/{sector}/sector-tide", sector=uw_name))
        assert resp.status == 200 and resp.items, uw_name
    by_path = sim.stats()["by_path"]
    assert "/api/market/Consumer Cyclical/sector-tide" in by_path  # decoded once by the server
    assert not any("%" in p for p in by_path)


def test_intel_collect_market_gets_every_sector_tide(paths, sim):
    client = UWClient(make_settings(sim.url), paths, caller="intel", clock=FixedClock(SESSION))
    fetcher = IntelFetcher(client, paths, job="premarket")
    sectors = _uw_sector_names()
    market = collect_market(fetcher, SESSION, sectors)
    assert fetcher.errors == []
    assert set(market.sector_tide) == set(sectors)
    assert {v["uw_sector"] for v in market.sector_tide.values()} == set(sectors.values())
    assert events(paths, "uw_http_error") == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/market/Consumer Cyclical/sector-tide",  # raw space: must be encoded by the caller
        "/api/market/Consumer%2520Cyclical/sector-tide",  # double-encoded
        "/api/market/Consumer%2FCyclical/sector-tide",  # encoded separator
        "/api/market/Consumer%zzCyclical/sector-tide",  # broken escape
        "/api/market/Caf\u00e9/sector-tide",  # raw non-ASCII
    ],
)
def test_unencoded_or_badly_encoded_paths_are_refused_before_any_request(paths, sim, path):
    client = UWClient(make_settings(sim.url), paths, caller="intel", clock=FixedClock(SESSION))
    with pytest.raises(ValueError):
        client.get(path)
    assert sim.stats()["total"] == 0
    assert len(events(paths, "uw_invalid_endpoint_attempt")) == 1
