"""Contract 4.14 (intel dashboard): reports/_dashboard/intel_dashboard_generator.py ->
reports/INTEL_DASHBOARD_YYYY-MM-DD.md; MUST be derivable from state/logs only (no live network
calls); generation MUST be safe."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from src.core.jsonio import append_jsonl, atomic_write_json
from src.core.paths import REPO_ROOT
from src.intel.composite_v2 import compute_composite_v2, load_intel_inputs
from src.intel.dashboard import EXIT_SECTION, run_intel_dashboard
from tests.contract.intel_support import MIDDAY, POSTMARKET, PREMARKET, SIM_DAY, no_network, write_intel_state  # noqa: F401

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _sections(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_empty_home_renders_every_section_and_says_what_is_missing(home, no_network) -> None:  # noqa: F811
    res = run_intel_dashboard(SIM_DAY, home, None, {"now": POSTMARKET.isoformat()})
    assert res["ok"] and no_network == []
    text = home.report("INTEL_DASHBOARD", SIM_DAY).read_text()
    assert _sections(text) == [
        "Universe",
        "Intel freshness",
        "Regime",
        "Sector view",
        "v2 vs v1 scores",
        "Health",
        EXIT_SECTION,
    ]
    assert EXIT_SECTION == "Exit Intelligence Snapshot (v2)"
    exit_part = text.split(f"## {EXIT_SECTION}", 1)[1]
    for name in (
        "exit_attribution.jsonl",
        "premarket_exit_intel.json",
        "postmarket_exit_intel.json",
        "exit_intel_pnl_summary.json",
    ):
        assert name in exit_part
    assert "Not available yet" in exit_part


def test_full_day_fills_sections_and_draws_charts(home, no_network) -> None:  # noqa: F811
    write_intel_state(home, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    for sym, d in (("AAPL", "long"), ("XOM", "short")):
        compute_composite_v2(sym, {"score": 3.0, "direction": d, "components": {}}, inputs)
    exit_ts = (MIDDAY + timedelta(hours=1)).isoformat()
    append_jsonl(
        home.exit_attribution_log,
        {"ts": exit_ts, "exit_ts": exit_ts, "symbol": "AAPL", "pnl": 55.0, "exit_reason": "profit_target"},
    )
    atomic_write_json(
        home.exit_intel_pnl_summary,
        {"day": SIM_DAY, "exits_total": 1, "pnl_usd_total": 55.0, "overall": {"win_rate": 1.0}, "replacements": 0},
    )
    atomic_write_json(
        home.premarket_exit_intel,
        {
            "kind": "premarket",
            "generated_at": PREMARKET.isoformat(),
            "regime": "risk_on",
            "open_positions": 0,
            "positions": [],
        },
    )
    res = run_intel_dashboard(SIM_DAY, home, None, {"now": POSTMARKET.isoformat()})
    assert res["ok"] and no_network == []
    text = home.report("INTEL_DASHBOARD", SIM_DAY).read_text()
    assert "Regime: **risk_on**" in text
    assert "| AAPL | long |" in text and "| XOM | short |" in text
    exit_part = text.split(f"## {EXIT_SECTION}", 1)[1]
    assert "Exits today (exit_attribution.jsonl): 1, P&L $55.00" in exit_part
    assert "profit_target 1" in exit_part and "Exit intel P&L" in exit_part
    assert "postmarket_exit_intel.json (missing)" in exit_part
    pngs = [p for p in res["artifacts"] if p.endswith(".png")]
    assert len(pngs) >= 2
    for p in pngs:
        assert open(p, "rb").read(8) == PNG_MAGIC
        assert os.path.dirname(p) == str(home.reports)
        assert os.path.basename(p) in text  # linked from the report


def test_corrupt_inputs_do_not_break_generation(home) -> None:
    write_intel_state(home, PREMARKET)
    for p in (home.premarket_intel, home.regime_state, home.daily_universe, home.intel_health_state):
        p.write_text("{{{")
    home.uw_attribution_log.write_bytes(b'{"ts": "2026-03-10T16:00:00+00:00", "symbol": 5, "delta": "x"}\n{"torn\n')
    res = run_intel_dashboard(SIM_DAY, home, None, {"now": POSTMARKET.isoformat()})
    assert res["ok"]
    assert "## Exit Intelligence Snapshot (v2)" in home.report("INTEL_DASHBOARD", SIM_DAY).read_text()


def test_contract_script_runs_the_job(home) -> None:
    write_intel_state(home, PREMARKET)
    script = REPO_ROOT / "reports" / "_dashboard" / "intel_dashboard_generator.py"
    out = subprocess.run(
        [sys.executable, str(script), "--date", SIM_DAY],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "STOCKBOT_HOME": str(home.root), "PYTHONPATH": str(REPO_ROOT)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert home.report("INTEL_DASHBOARD", SIM_DAY).exists()
