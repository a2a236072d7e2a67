"""`checked_at` beside each family's `last_update`: a quiet symbol was checked minutes ago even if
its data is hours old; a fault (5xx, malformed, timeout) is not a check and never moves it."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from src.core.clock import FixedClock
from src.uw.daemon import FlowDaemon
from tests.integration.uw.conftest import make_settings
from tests.integration.uw.sim_server import running_sim

SESSION = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
SYMBOLS = ("AAPL", "MSFT")
FAMILIES = ("flow", "dark_pool", "greek_exposure", "iv_rank", "oi_change")
# AAPL goes quiet: its own flow / dark pool answers and the market-wide feeds bring nothing new
QUIET = ["/api/stock/AAPL/flow-alerts", "/api/darkpool/AAPL", "/api/option-trades/flow-alerts", "/api/darkpool/recent"]


def _read(paths) -> dict:
    return orjson.loads(paths.uw_flow_cache.read_bytes())


def _data(fam: dict) -> dict:
    return {k: v for k, v in fam.items() if k != "checked_at"}


def _run_with_fault(paths, mode: str, fault_paths: list[str] | None, **extra):
    clock = FixedClock(SESSION)
    with running_sim(clock=clock) as sim:
        daemon = FlowDaemon(
            make_settings(sim.url, uw_default_core=",".join(SYMBOLS), uw_cycle_s=30.0, uw_max_wait_s=5.0), paths, clock
        )
        assert daemon.run(once=True) == 0
        good = _read(paths)
        sim.faults(mode, paths=fault_paths, **extra)
        clock.advance(3600)  # every job is due again
        started = clock.now().timestamp()
        assert daemon.run(max_cycles=2) == 0
    return good, _read(paths), started


def test_first_poll_sets_checked_at_equal_to_last_update(paths):
    good, _, _ = _run_with_fault(paths, "none", None)
    for sym in SYMBOLS:
        rec = good["symbols"][sym]
        for fam in FAMILIES:
            assert rec[fam]["checked_at"] == rec[fam]["last_update"], (sym, fam)
        assert rec["checked_at"] == max(rec[f]["checked_at"] for f in FAMILIES)


def test_empty_answer_moves_checked_at_but_keeps_data_and_its_time(paths):
    good, after, started = _run_with_fault(paths, "empty", QUIET)
    for fam in ("flow", "dark_pool"):
        old, new = good["symbols"]["AAPL"][fam], after["symbols"]["AAPL"][fam]
        assert _data(new) == _data(old)  # last good values and their own last_update kept
        assert new["checked_at"] >= started > old["checked_at"]  # but it was checked this run
    assert after["symbols"]["AAPL"]["checked_at"] >= started
    assert after["symbols"]["AAPL"]["last_update"] >= started  # greeks/iv/oi refreshed normally


@pytest.mark.parametrize("mode", ["5xx", "malformed", "timeout"])
def test_a_fault_never_moves_checked_at(paths, mode):
    extra = {"delay_s": 0.01} if mode == "timeout" else {}
    good, after, started = _run_with_fault(paths, mode, None, **extra)
    for sym in SYMBOLS:
        for fam in FAMILIES:
            assert after["symbols"][sym][fam] == good["symbols"][sym][fam], (sym, fam, mode)
        assert after["symbols"][sym]["checked_at"] == good["symbols"][sym]["checked_at"] < started
