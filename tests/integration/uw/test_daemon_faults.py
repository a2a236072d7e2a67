"""The flow daemon under faults: stays up, keeps last good data, one event per failing family."""

from __future__ import annotations

import collections
from datetime import UTC, datetime

import orjson
import pytest

from src.core.clock import FixedClock
from src.uw.daemon import FlowDaemon
from tests.conftest import events
from tests.integration.uw.conftest import make_settings
from tests.integration.uw.sim_server import running_sim

SESSION = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
SYMBOLS = ("AAPL", "MSFT", "NVDA")
SYMBOL_FAMILIES = ("flow", "dark_pool", "greek_exposure", "iv_rank", "oi_change")


def _settings(url: str):
    return make_settings(url, uw_default_core=",".join(SYMBOLS), uw_cycle_s=30.0, uw_max_wait_s=5.0)


def _read(paths) -> dict:
    return orjson.loads(paths.uw_flow_cache.read_bytes())


@pytest.mark.parametrize("mode", ["5xx", "malformed", "wrong_types", "empty", "timeout"])
def test_faults_for_a_whole_run_keep_last_good_data(paths, mode):
    clock = FixedClock(SESSION)
    with running_sim(clock=clock) as sim:
        daemon = FlowDaemon(_settings(sim.url), paths, clock)
        assert daemon.run(once=True) == 0
        good = _read(paths)
        for sym in SYMBOLS:
            assert set(SYMBOL_FAMILIES) <= set(good["symbols"][sym]), good["symbols"][sym].keys()
        assert good["_meta"]["endpoints_failed"] == []

        extra = {"delay_s": 0.01} if mode == "timeout" else {}
        sim.faults(mode, **extra)
        clock.advance(3600)  # every job is due again
        before = sim.stats()["total"]
        assert daemon.run(max_cycles=4) == 0
        assert sim.stats()["total"] > before  # it really kept polling through the faults

    after = _read(paths)  # valid JSON, complete
    for sym in SYMBOLS:
        for fam in SYMBOL_FAMILIES:
            new, old = after["symbols"][sym][fam], good["symbols"][sym][fam]
            if mode == "empty" and fam in ("flow", "dark_pool"):  # "nothing new" is still a check
                assert new.pop("checked_at") > old.pop("checked_at"), (sym, fam)
            assert new == old, (sym, fam)
    failed = set(after["_meta"]["endpoints_failed"])
    expected = {"greek_exposure", "iv_rank", "oi_change", "market_tide", "top_net_impact"}
    if mode != "empty":  # an empty flow/dark-pool answer is "nothing new", not a failure
        expected |= {"flow", "dark_pool", "flow_alerts", "darkpool_recent"}
    assert expected <= failed
    per_family = collections.Counter(e["details"]["family"] for e in events(paths, "uw_endpoint_family_failed"))
    assert set(per_family) == failed and set(per_family.values()) == {1}
    assert events(paths, "uw_request_failed") == [] and events(paths, "uw_bad_response") == []
    assert after["_meta"]["written_at"] == clock.now().timestamp()
    assert after["_meta"]["poll_cycle"] > good["_meta"]["poll_cycle"]


def test_recovery_is_reported_and_data_refreshes(paths):
    clock = FixedClock(SESSION)
    with running_sim(clock=clock) as sim:
        daemon = FlowDaemon(_settings(sim.url), paths, clock)
        daemon.run(once=True)
        sim.faults("5xx", paths=["/api/stock/AAPL/greek-exposure"])
        clock.advance(3600)
        daemon.run(max_cycles=2)
        stale = _read(paths)["symbols"]["AAPL"]["greek_exposure"]["last_update"]
        sim.faults("none")
        clock.advance(3600)
        daemon.run(max_cycles=2)
    fresh = _read(paths)
    assert fresh["symbols"]["AAPL"]["greek_exposure"]["last_update"] > stale
    assert fresh["_meta"]["endpoints_failed"] == []
    assert [e["details"]["family"] for e in events(paths, "uw_endpoint_family_failed")] == ["greek_exposure"]
    assert [e["details"]["family"] for e in events(paths, "uw_endpoint_family_recovered")] == ["greek_exposure"]
