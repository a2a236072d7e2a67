"""Contract 4.6 (UW intelligence execution) and 4.5 (symbol-level restriction), against the UW simulator:
- universe build -> state/daily_universe.json, state/core_universe.json; premarket -> state/premarket_intel.json;
  postmarket -> state/postmarket_intel.json;
- all UW calls route through src/uw/uw_client.py;
- UW symbol-level calls MUST be restricted to daily_universe ∪ core_universe;
- intel calls may not starve the daemon's reserve: a refused budget degrades the job (event), never crashes it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from src.core.paths import Paths
from src.core.settings import Settings
from src.core.state import inspect_state
from src.intel.fetch import IntelFetcher, make_client
from src.intel.models import IntelFile, SymbolRiskFeaturesFile
from src.intel.prepost import collect_symbol, run_postmarket_intel, run_premarket_intel
from src.intel.universe import run_build_universe
from src.uw.universe import UniverseFile, allowed_symbols
from src.uw.uw_client import UWUniverseRefused
from tests.contract.intel_support import POSTMARKET, PREMARKET, SIM_DAY, Sim, serve_sim, sim_settings, uw_sim  # noqa: F401

TICKER_PATH = re.compile(r"^/api/(?:stock|darkpool|earnings|shorts)/([^/]+)")


def _tickers_called(stats: dict) -> set[str]:
    return {m.group(1) for p in stats["by_path"] if (m := TICKER_PATH.match(p))}


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """One simulated day (universe, premarket, postmarket) shared by the read-only tests below."""
    root = tmp_path_factory.mktemp("intel_day") / "home"
    with pytest.MonkeyPatch.context() as mp, serve_sim() as sim:
        mp.setenv("STOCKBOT_HOME", str(root))
        paths = Paths(root).ensure()
        settings = sim_settings(sim.url)
        opts = {"now": PREMARKET.isoformat(), "daily_max_symbols": 12}
        uni = run_build_universe(SIM_DAY, paths, settings, opts)
        pre = run_premarket_intel(SIM_DAY, paths, settings, opts)
        sim.clock._now = POSTMARKET
        post = run_postmarket_intel(SIM_DAY, paths, settings, {"now": POSTMARKET.isoformat()})
        yield DayRun(paths, sim, settings, uni, pre, post)


@dataclass
class DayRun:
    paths: Paths
    sim: Sim
    settings: Settings
    uni: dict
    pre: dict
    post: dict


def test_lifecycle_writes_every_state_file(day: DayRun) -> None:
    home = day.paths
    assert day.uni["ok"] and day.pre["ok"] and day.post["ok"]
    core = inspect_state(home.core_universe, UniverseFile).value
    daily = inspect_state(home.daily_universe, UniverseFile).value
    assert core is not None and {e.symbol for e in core.symbols} >= {"SPY", "QQQ", "AAPL"}
    assert daily is not None and len(daily.symbols) == 12
    assert all(e.reason.startswith("options activity rank") for e in daily.symbols)
    assert [e.rank for e in daily.symbols] == list(range(1, len(daily.symbols) + 1))
    feats = inspect_state(home.symbol_risk_features, SymbolRiskFeaturesFile).value
    assert feats is not None and feats.symbols["AAPL"].realized_vol.source.endswith("volatility/realized")
    assert feats.symbols["AAPL"].realized_vol.as_of is not None
    for path, kind in ((home.premarket_intel, "premarket"), (home.postmarket_intel, "postmarket")):
        intel = inspect_state(path, IntelFile).value
        assert intel is not None and intel.kind == kind and intel.day == SIM_DAY
        assert intel.market.market_tide and intel.market.market_tide["intervals"] > 0
        aapl = intel.symbols["AAPL"]
        assert aapl.flow and aapl.dark_pool and aapl.greek_exposure and aapl.net_premium
        assert all(getattr(aapl, f)["as_of"] for f in ("flow", "dark_pool", "greek_exposure", "net_premium"))
    pre_intel = inspect_state(home.premarket_intel, IntelFile).value
    assert pre_intel.symbols["AAPL"].earnings is not None
    assert pre_intel.market.economic_calendar is not None


def test_symbol_calls_stay_inside_daily_and_core(day: DayRun) -> None:
    allowed = allowed_symbols(day.paths)
    called = _tickers_called(day.sim.stats())
    assert called and called <= allowed


def test_symbol_outside_universe_is_refused_before_any_request(day: DayRun, read_events) -> None:
    home, sim, settings = day.paths, day.sim, day.settings
    outsider = "ZZZQ"
    assert outsider not in allowed_symbols(home)
    before = sim.stats()["total"]
    client = make_client(settings, home)
    with pytest.raises(UWUniverseRefused):
        client.get(f"/api/stock/{outsider}/greek-exposure", params={})
    fetcher = IntelFetcher(client, home, "test")
    si = collect_symbol(fetcher, outsider, ("flow", "dark_pool"), PREMARKET, None)  # degrades, no raise
    assert si.missing == ["flow", "dark_pool"] and fetcher.calls_failed == 2
    assert sim.stats()["total"] == before
    assert outsider not in _tickers_called(sim.stats())
    assert read_events(home, "uw_universe_refused") and read_events(home, "intel_symbol_refused")


def test_exhausted_budget_degrades_with_event_not_crash(home, uw_sim, read_events) -> None:  # noqa: F811
    # 20 calls beyond the daemon's reserve: enough for the screener and a few symbols, not a full run
    settings = sim_settings(uw_sim.url, uw_daily_budget=40, uw_daemon_reserve=20)
    uni = run_build_universe(SIM_DAY, home, settings, {"now": PREMARKET.isoformat(), "daily_max_symbols": 12})
    assert uni["ok"] and uni["partial"]
    pre = run_premarket_intel(SIM_DAY, home, settings, {"now": PREMARKET.isoformat()})
    assert pre["ok"] and pre["partial"]
    intel = inspect_state(home.premarket_intel, IntelFile).value
    assert intel is not None and intel.partial and intel.degraded_reason == "uw_budget_exhausted"
    assert any(s.missing for s in intel.symbols.values())
    assert inspect_state(home.symbol_risk_features, SymbolRiskFeaturesFile).value.partial
    assert read_events(home, "intel_uw_budget_exhausted")
    assert read_events(home, "premarket_intel_partial")
    assert uw_sim.stats()["total"] <= 20  # the daemon's reserve was never touched


def test_uw_outage_degrades_and_trips_breaker(home, uw_sim, read_events) -> None:  # noqa: F811
    settings = sim_settings(uw_sim.url, uw_max_retries=0)
    run_build_universe(SIM_DAY, home, settings, {"now": PREMARKET.isoformat(), "risk_per_symbol": False})
    uw_sim.faults(mode="5xx", status=503)
    res = run_premarket_intel(SIM_DAY, home, settings, {"now": PREMARKET.isoformat()})
    assert res["ok"] and res["partial"]
    intel = inspect_state(home.premarket_intel, IntelFile).value
    assert intel.calls_made <= 6  # breaker opened after 5 consecutive outages, not one timeout per symbol
    assert read_events(home, "intel_uw_breaker_open")
