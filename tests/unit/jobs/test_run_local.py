"""make run's launcher: the child environment and the process set (no processes started)."""

from __future__ import annotations

import sys
from pathlib import Path

from src.core.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import run_local  # noqa: E402


def test_sim_without_key_points_children_at_local_simulators(tmp_path: Path) -> None:
    env, notes = run_local.child_env({"PATH": "/usr/bin"}, {}, tmp_path)
    assert env["STOCKBOT_MODE"] == "sim" and env["STOCKBOT_HOME"] == str(tmp_path)
    assert env["UW_BASE_URL"] == "http://127.0.0.1:8765" and env["UW_API_KEY"] == "sim-key"
    assert env["ALPACA_BASE_URL"] == "http://127.0.0.1:8766"
    assert env["ALPACA_API_KEY"] == "sim" and env["ALPACA_SECRET_KEY"] == "sim"
    assert len(env["RQ_DASHBOARD_PASSWORD"]) >= 12 and "generated" in notes
    assert env["PATH"].startswith(str(Path(sys.executable).parent))


def test_empty_dotenv_values_count_as_unset(tmp_path: Path) -> None:
    dotenv = {"UW_API_KEY": "", "UW_BASE_URL": "", "RQ_DASHBOARD_PASSWORD": ""}
    env, _ = run_local.child_env({}, dotenv, tmp_path)
    assert env["UW_API_KEY"] == "sim-key" and env["UW_BASE_URL"] == "http://127.0.0.1:8765"
    assert env["RQ_DASHBOARD_PASSWORD"]


def test_real_key_or_paper_mode_leaves_urls_alone(tmp_path: Path) -> None:
    env, notes = run_local.child_env({"UW_API_KEY": "k" * 20, "RQ_DASHBOARD_PASSWORD": "pw"}, {}, tmp_path)
    assert "UW_BASE_URL" not in env and "ALPACA_API_KEY" not in env
    assert env["RQ_DASHBOARD_PASSWORD"] == "pw" and "generated" not in notes
    env, _ = run_local.child_env({"STOCKBOT_MODE": "paper"}, {}, tmp_path)
    assert "UW_BASE_URL" not in env
    # the process environment wins over .env, as in compose
    env, _ = run_local.child_env({"STOCKBOT_MODE": "sim"}, {"STOCKBOT_MODE": "paper"}, tmp_path)
    assert env["STOCKBOT_MODE"] == "sim"


def test_market_sim_only_in_sim_mode() -> None:
    assert run_local.process_names("sim")[0] == "market-sim"
    assert "market-sim" not in run_local.process_names("paper")
    procfile = (REPO_ROOT / "Procfile").read_text().splitlines()
    declared = [ln.split(":", 1)[0] for ln in procfile if ln and not ln.startswith("#")]
    assert declared == list(run_local.PROCESSES)
