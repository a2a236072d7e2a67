"""Contract 4.17 (Shadow Trading, v2):
- v1 remains the ONLY live trading path; v2 MUST be shadow-only: it MUST never submit live
  orders and MUST log decisions for review;
- v2 MUST use the full intelligence layer via state files: state/daily_universe_v2.json
  (fallback state/daily_universe.json), state/premarket_intel.json, state/postmarket_intel.json,
  state/regime_state.json, sector profiles from config/sector_profiles.json;
- shadow decision log: logs/shadow_trades.jsonl; shadow position state (simulator persistence):
  state/shadow_v2_positions.json (atomic updates; no live orders);
- exit attribution (shadow exits only): logs/exit_attribution.jsonl;
- pre-open readiness (scripts/run_preopen_readiness_check.py) MUST fail if daemon health is
  `critical` or intel artifacts are stale/missing, and MUST require
  scripts/run_regression_checks.py to pass (unless explicitly skipped for the regression harness).
Whole-session proofs live in tests/integration/shadow/test_shadow_session.py and
tests/architecture/test_shadow_never_orders.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from src.core.jsonio import atomic_write_json, read_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.core.settings import Settings
from src.core.state import LoadStatus, inspect_state, save_state
from src.intel.models import DaemonHealthState
from src.shadow.guard import ShadowOrderViolation, assert_not_shadow, shadow_context
from src.shadow.readiness import run_preopen_readiness
from src.shadow.state import ShadowState
from src.shadow.step import shadow_step
from tests.contract.intel_support import MIDDAY, no_network, write_intel_state  # noqa: F401
from tests.integration.shadow.fixtures import context

SYMS = ("AAPL", "XOM")


def _cycle(
    home: Paths,
    prices: dict[str, float],
    minutes: int = 0,
    scores: dict[str, float] | None = None,
    engine: dict | None = None,
):
    ctx = context(
        home,
        MIDDAY + timedelta(minutes=minutes),
        1 + minutes,
        prices,
        scores or dict.fromkeys(prices, 4.0),
        engine if engine is not None else {},
    )
    shadow_step(ctx)
    return ctx


def test_shadow_logs_decisions_with_every_intel_input_and_no_network(home, no_network) -> None:  # noqa: F811
    write_intel_state(home, MIDDAY - timedelta(minutes=30), SYMS)
    ctx = _cycle(home, {"AAPL": 150.0, "XOM": 100.0})
    assert no_network == []
    assert "error" not in ctx.extras["shadow"], ctx.extras["shadow"]
    rows, _ = read_jsonl(home.shadow_trades_log)
    assert {r["symbol"] for r in rows if r["action"] == "entry"} == set(SYMS)
    for r in rows:
        assert set(r["inputs"]["intel"]) >= {
            "premarket_intel",
            "postmarket_intel",
            "universe",
            "regime_state",
            "sector_profiles",
        }
        assert r["inputs"]["intel"]["premarket_intel"] == "ok"
        assert r["v2_score"] != r["v1_score"]  # intel shaped the v2 score
    st = inspect_state(home.shadow_positions, ShadowState)
    assert home.shadow_positions == home.root / "state" / "shadow_v2_positions.json"
    assert st.status is LoadStatus.ok and set(st.value.positions) == set(SYMS)


def test_universe_v2_falls_back_to_v1_universe(home) -> None:
    write_intel_state(home, MIDDAY - timedelta(minutes=30), SYMS)
    home.daily_universe_v2.unlink(missing_ok=True)
    atomic_write_json(
        home.daily_universe,
        {"generated_at": (MIDDAY - timedelta(minutes=30)).timestamp(), "symbols": [{"symbol": "XOM", "rank": 1}]},
    )
    _cycle(home, {"AAPL": 150.0, "XOM": 100.0})
    rows, _ = read_jsonl(home.shadow_trades_log)
    assert [r["symbol"] for r in rows] == ["XOM"]  # only the v1 universe's names were candidates


def test_shadow_exits_are_attributed(home) -> None:
    write_intel_state(home, MIDDAY - timedelta(minutes=30), SYMS)
    eng: dict = {}
    _cycle(home, {"AAPL": 150.0, "XOM": 100.0}, engine=eng)
    _cycle(home, {"AAPL": 140.0, "XOM": 100.0}, minutes=30, engine=eng)
    att, _ = read_jsonl(home.exit_attribution_log)
    assert [a["symbol"] for a in att] == ["AAPL"] and att[0]["source"] == "shadow"


def test_shadow_code_cannot_submit() -> None:
    with shadow_context(), pytest.raises(ShadowOrderViolation):
        assert_not_shadow("submit_order")


def test_readiness_gate(home, tmp_path) -> None:
    assert (REPO_ROOT / "scripts" / "run_preopen_readiness_check.py").exists()
    write_intel_state(home, MIDDAY - timedelta(minutes=30), SYMS)
    now = {"now": MIDDAY.isoformat()}
    save_state(home.uw_daemon_health_state, DaemonHealthState(status="ok", generated_at=MIDDAY.isoformat()))
    assert run_preopen_readiness("2026-03-10", home, Settings(), {**now, "skip_regression": True})["ok"]
    # regression required unless skipped: a missing harness fails the gate
    res = run_preopen_readiness("2026-03-10", home, Settings(), {**now, "regression_script": str(tmp_path / "x.py")})
    assert not res["ok"] and "regression" in res["message"]
    save_state(home.uw_daemon_health_state, DaemonHealthState(status="critical", generated_at=MIDDAY.isoformat()))
    assert not run_preopen_readiness("2026-03-10", home, Settings(), {**now, "skip_regression": True})["ok"]
    save_state(home.uw_daemon_health_state, DaemonHealthState(status="ok", generated_at=MIDDAY.isoformat()))
    stale = {"now": (MIDDAY + timedelta(hours=6)).isoformat(), "skip_regression": True}
    res = run_preopen_readiness("2026-03-10", home, Settings(), stale)
    assert not res["ok"] and "stale" in res["message"]
