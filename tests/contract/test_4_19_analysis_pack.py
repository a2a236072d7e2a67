"""Contract 4.19: post-close analysis pack, derivable from state/logs, safe by default."""

from __future__ import annotations

import os
import subprocess
import sys

from src.core.paths import REPO_ROOT, Paths
from tests.unit.telemetry.golden_day import DAY, write_golden_day


def test_4_19_generator_writes_master_summary_with_missing_recorded(home: Paths) -> None:
    """4.19: analysis_packs/<day>/MASTER_SUMMARY_<day>.md; missing artifacts recorded; the pack still generates."""
    write_golden_day(home)
    env = dict(os.environ, STOCKBOT_HOME=str(home.root), PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run([sys.executable, "scripts/run_postclose_analysis_pack.py", "--date", DAY],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    pack = home.analysis_pack(DAY)
    summary = (pack / f"MASTER_SUMMARY_{DAY}.md").read_text()
    assert "## Missing artifacts" in summary and f"telemetry/{DAY}/" in summary  # no bundle was built
    assert (pack / "logs_tail" / "master_trade_log.jsonl").is_file() and (pack / "state").is_dir()
    assert list((pack / "charts").glob("*.png"))
