"""Exit intel job bodies after a simulated shadow session: state files and reports from logs only."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from src.core.jsonio import append_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.core.settings import Settings
from src.core.state import LoadStatus, inspect_state
from src.exit.exit_intel_jobs import (
    run_exit_day_summary,
    run_exit_intel_pnl,
    run_postmarket_exit_intel,
    run_premarket_exit_intel,
)
from src.exit.models import ExitIntelPnlSummary, ExitIntelState
from src.shadow.step import shadow_step
from tests.integration.shadow.fixtures import context, write_intel

DAY = "2026-11-27"
T0 = datetime(2026, 11, 27, 14, 40, tzinfo=UTC)


def session(paths: Paths) -> None:
    """AAPL stops out, MSFT hits its target, NVDA stays open."""
    write_intel(paths, T0, ["AAPL", "MSFT", "NVDA"])
    eng: dict = {}
    scores = {"AAPL": 4.0, "MSFT": 3.5, "NVDA": 3.2}
    shadow_step(context(paths, T0, 1, {"AAPL": 200.0, "MSFT": 400.0, "NVDA": 100.0}, scores, eng))
    shadow_step(
        context(paths, T0 + timedelta(minutes=30), 2, {"AAPL": 197.0, "MSFT": 406.0, "NVDA": 100.2}, scores, eng)
    )


def test_jobs_after_a_session(home: Paths) -> None:
    session(home)
    opts = {"now": (T0 + timedelta(hours=2)).isoformat()}
    res = run_exit_intel_pnl(DAY, home, Settings(), opts)
    assert res["ok"], res["message"]
    s = inspect_state(home.exit_intel_pnl_summary, ExitIntelPnlSummary)
    assert s.status is LoadStatus.ok
    v = s.value
    assert v.exits_total == 2 and set(v.by_exit_reason) == {"stop_loss", "profit_target"}
    assert v.by_exit_reason["stop_loss"].pnl_usd < 0 < v.by_exit_reason["profit_target"].pnl_usd
    assert v.overall.win_rate == 0.5 and not v.sparse
    report = home.report("EXIT_INTEL_PNL", DAY).read_text()
    assert "| stop_loss | 1 | 0 | 1 |" in report and "| profit_target | 1 | 1 | 0 |" in report
    assert str(home.report("EXIT_INTEL_PNL", DAY)) in res["artifacts"]

    res = run_exit_day_summary(DAY, home, Settings(), opts)
    assert res["ok"]
    text = home.report("EXIT_DAY_SUMMARY", DAY).read_text()
    assert "Shadow exits: 2" in text and "| AAPL | long | stop_loss |" in text and "- NVDA long" in text

    res = run_postmarket_exit_intel(DAY, home, Settings(), opts)
    assert res["ok"]
    post = inspect_state(home.postmarket_exit_intel, ExitIntelState).value
    assert post.kind == "postmarket" and post.open_positions == 1 and post.positions[0].symbol == "NVDA"
    assert post.day_exits["exits_total"] == 2 and post.regime == "risk_on"
    assert post.positions[0].stop_price is not None and post.positions[0].target_price is not None

    res = run_premarket_exit_intel("2026-11-30", home, Settings(), opts)
    assert res["ok"] and res["artifacts"] == [str(home.premarket_exit_intel)]
    pre = inspect_state(home.premarket_exit_intel, ExitIntelState).value
    assert pre.kind == "premarket" and set(pre.positions[0].v2_exit_components) >= {"flow_deterioration"}


def test_jobs_on_an_empty_home_are_sparse_not_failing(home: Paths) -> None:
    for body in (run_premarket_exit_intel, run_postmarket_exit_intel, run_exit_intel_pnl, run_exit_day_summary):
        res = body(DAY, home, Settings(), {})
        assert res["ok"], (body.__name__, res["message"])
        assert res["artifacts"]
    assert inspect_state(home.exit_intel_pnl_summary, ExitIntelPnlSummary).value.sparse
    assert "no shadow exits" in home.report("EXIT_DAY_SUMMARY", DAY).read_text()
    pre = inspect_state(home.premarket_exit_intel, ExitIntelState).value
    assert "no open shadow positions" in pre.notes and pre.sources["shadow_positions"] == "missing"


def test_torn_and_foreign_lines_are_counted(home: Paths) -> None:
    session(home)
    with open(home.exit_attribution_log, "ab") as fh:
        fh.write(b'{"torn": \n')
    append_jsonl(home.exit_attribution_log, {"exit_ts": "2026-11-27T18:00:00+00:00", "symbol": "ODD"})
    res = run_exit_intel_pnl(DAY, home, Settings(), {})
    assert res["ok"]
    v = inspect_state(home.exit_intel_pnl_summary, ExitIntelPnlSummary).value
    assert v.skipped_lines == 1 and v.exits_total == 3
    assert v.missing_field_counts["pnl"] == 1 and v.missing_field_counts["v2_exit_components.vol_expansion"] == 3


def test_contract_scripts_run_the_bodies(home: Paths) -> None:
    session(home)
    env = dict(os.environ, STOCKBOT_HOME=str(home.root))
    for script, out in (
        ("run_exit_intel_pnl.py", home.exit_intel_pnl_summary),
        ("run_exit_day_summary.py", home.report("EXIT_DAY_SUMMARY", DAY)),
    ):
        p = REPO_ROOT / "scripts" / script
        if not p.exists():
            continue
        rc = subprocess.run(
            [sys.executable, str(p), "--date", DAY], env=env, capture_output=True, text=True, timeout=120
        )
        assert rc.returncode == 0, rc.stdout + rc.stderr
        assert out.exists()
