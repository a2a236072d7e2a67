"""A whole simulated trading day of the intel layer against the UW simulator, in schedule order:
every state file and report named by contract 4.6 and 4.10-4.16 is produced and valid."""

from __future__ import annotations

import time
from datetime import timedelta

from src.core.state import LoadStatus, inspect_state
from src.intel.composite_v2 import compute_composite_v2, load_intel_inputs
from src.intel.daemon_health import run_daemon_health_check
from src.intel.dashboard import run_intel_dashboard
from src.intel.health import ARTIFACTS, run_intel_health_checks
from src.intel.pnl import run_intel_pnl
from src.intel.prepost import run_postmarket_intel, run_premarket_intel
from src.intel.regime_detector import run_regime_detector
from src.intel.universe import run_build_universe
from tests.contract.intel_support import MIDDAY, POSTMARKET, PREMARKET, SIM_DAY, sim_settings


def test_simulated_day_produces_every_artifact(home, uw_sim, capsys) -> None:
    settings = sim_settings(uw_sim.url)
    timings: dict[str, float] = {}

    def job(name, fn, at, **opts):
        uw_sim.clock._now = at
        t = time.monotonic()
        res = fn(SIM_DAY, home, settings, {"now": at.isoformat(), **opts})
        timings[name] = time.monotonic() - t
        assert res["ok"], res
        return res

    job("build_daily_universe", run_build_universe, PREMARKET, daily_max_symbols=15)
    job("premarket_intel", run_premarket_intel, PREMARKET)
    job("regime_detector", run_regime_detector, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    assert all(i.status == "ok" for n, i in inputs.info.items() if n != "postmarket_intel")
    for sym in list(inputs.premarket.symbols)[:10]:
        compute_composite_v2(sym, {"score": 3.0, "direction": "long", "components": {}}, inputs)
    job("postmarket_intel", run_postmarket_intel, POSTMARKET)
    job("intel_pnl", run_intel_pnl, POSTMARKET + timedelta(minutes=5))
    job("daemon_health_check", run_daemon_health_check, POSTMARKET + timedelta(minutes=5), process_source="lock_file")
    job("intel_health_checks", run_intel_health_checks, POSTMARKET + timedelta(minutes=6))
    job("intel_dashboard", run_intel_dashboard, POSTMARKET + timedelta(minutes=7))
    for a in ARTIFACTS:
        assert inspect_state(getattr(home, a.path_attr), a.model).status is LoadStatus.ok, a.name
    for path in (
        home.report("UW_INTEL_PNL", SIM_DAY),
        home.report("INTEL_DASHBOARD", SIM_DAY),
        home.uw_attribution_log,
    ):
        assert path.stat().st_size > 0
    with capsys.disabled():
        for name, secs in timings.items():
            print(f"\n  job {name}: {secs:.2f}s", end="")
        print()
