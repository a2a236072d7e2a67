"""Contract 4.15 (health & self-healing) -> state/intel_health_state.json:
health checks MUST validate freshness + schema and report status; self-heal attempts (when enabled)
MUST be best-effort and MUST NOT impact v1 trading."""

from __future__ import annotations

from datetime import timedelta

import pytest

from src.core.settings import Settings
from src.core.state import inspect_state
from src.intel.health import run_intel_health_checks
from src.intel.models import IntelHealthState
from tests.contract.intel_support import MIDDAY, PREMARKET, SIM_DAY, write_intel_state


def run(paths, settings=None, **opts) -> IntelHealthState:
    res = run_intel_health_checks(SIM_DAY, paths, settings or Settings(), {"now": MIDDAY.isoformat(), **opts})
    assert res["ok"]
    state = inspect_state(paths.intel_health_state, IntelHealthState).value
    assert state is not None
    return state


def test_reports_ok_stale_missing_and_corrupt_per_artifact(home, read_events) -> None:
    write_intel_state(home, PREMARKET)
    home.regime_state.write_text('{"regime": ')  # torn write
    home.postmarket_intel.write_text('{"symbols": "not a mapping"}')  # valid JSON, wrong schema
    state = run(home)
    a = state.artifacts
    assert a["premarket_intel"].status == "ok" and a["premarket_intel"].as_of == PREMARKET.isoformat()
    assert a["daily_universe_v2"].status == "ok"
    assert a["regime_state"].status == "corrupt" and "not JSON" in a["regime_state"].error
    assert a["postmarket_intel"].status == "corrupt" and "schema" in a["postmarket_intel"].error
    assert a["symbol_risk_features"].status == "missing"
    assert state.overall == "degraded"
    assert home.regime_state.read_text() == '{"regime": '  # the checker reports, it does not heal others' files
    assert read_events(home, "intel_health_degraded")


def test_freshness_budget_stretches_over_a_weekend(home) -> None:
    friday = PREMARKET - timedelta(days=4)  # Friday 2026-03-06, checked Tuesday: Sat+Sun skipped
    write_intel_state(home, friday)
    a = run(home).artifacts
    assert a["premarket_intel"].status == "stale"  # ~100 h old > 26 h + 2 closed days
    write_intel_state(home, PREMARKET - timedelta(days=1, hours=-2))  # Monday 10:00 UTC
    assert run(home).artifacts["premarket_intel"].status == "ok"


def test_missing_universe_is_critical(home) -> None:
    assert run(home).overall == "critical"


def test_self_heal_reenqueues_producer_once_per_job(home, redis_url, read_events) -> None:
    import redis
    from rq import Queue

    write_intel_state(home, PREMARKET - timedelta(days=6))  # everything stale
    settings = Settings(redis_url=redis_url, jobs_namespace="t15")
    state = run(home, settings, self_heal=True)
    assert state.self_heal_enabled
    heal = state.artifacts["premarket_intel"].self_heal
    assert heal and heal["enqueued"] is True and heal["job_id"] == f"t15premarket_intel-{SIM_DAY}"
    # universe files share one producer: one enqueue for all of them
    assert state.artifacts["daily_universe"].self_heal == state.artifacts["core_universe"].self_heal
    conn = redis.Redis.from_url(redis_url)
    ids = set(Queue("t15intel", connection=conn).job_ids)
    assert {
        f"t15premarket_intel-{SIM_DAY}",
        f"t15build_daily_universe-{SIM_DAY}",
        f"t15postmarket_intel-{SIM_DAY}",
        f"t15regime_detector-{SIM_DAY}",
    } <= ids
    assert len(read_events(home, "intel_self_heal_attempt")) >= 4


def test_self_heal_with_redis_down_is_recorded_not_raised(home, read_events) -> None:
    write_intel_state(home, PREMARKET - timedelta(days=6))
    state = run(home, Settings(redis_url="redis://127.0.0.1:1/0"), self_heal=True)
    heal = state.artifacts["premarket_intel"].self_heal
    assert heal and heal["enqueued"] is False and heal["error"]
    assert read_events(home, "intel_self_heal_attempt")


@pytest.mark.parametrize("flag", [False, None])
def test_no_self_heal_unless_enabled(home, read_events, flag) -> None:
    write_intel_state(home, PREMARKET - timedelta(days=6))
    state = run(home, self_heal=flag)
    assert all(a.self_heal is None for a in state.artifacts.values())
    assert not read_events(home, "intel_self_heal_attempt")
