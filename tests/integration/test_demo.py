"""`make demo` end to end: a simulated trading day through the real processes, then the next morning.

The CI form: same processes, same scheduler and jobs; its own runtime root and free ports.
It must leave a telemetry bundle, intel dashboard and analysis pack that pass the regression gate,
live and shadow trades side by side in the master trade log, and a passing readiness check.
"""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


def test_demo_day_produces_bundle_that_passes_regression(tmp_path, redis_server_url):
    day = "2026-11-30"
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts/run_demo.py"), "--date", day, "--home", str(tmp_path), "--timeout", "540"],
        capture_output=True,
        text=True,
        timeout=660,
        cwd=REPO_ROOT,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:] + proc.stderr[-2000:]
    assert "regression PASSED" in out
    assert "pre-open readiness for 2026-12-01: preopen_readiness_ok" in out
    paths = Paths(tmp_path / day)
    bundle = paths.telemetry_day(day) / "computed"
    assert len(list(bundle.glob("*.json"))) == 14
    assert (paths.analysis_pack(day) / f"MASTER_SUMMARY_{day}.md").exists()
    assert "Exit Intelligence Snapshot (v2)" in paths.report("INTEL_DASHBOARD", day).read_text()
    trades, skipped = read_jsonl(paths.master_trade_log)
    assert skipped == 0
    assert any(t.get("source") == "live" for t in trades) and any(t.get("source") == "shadow" for t in trades)
    ledger = orjson.loads(paths.sim_alpaca_ledger.read_bytes())
    ids = [o.get("client_order_id") for o in ledger["orders"].values()]
    assert ids and len(ids) == len(set(ids))  # no order was ever sent twice
    assert all(i.startswith("v1-") for i in ids)  # only v1 places orders; shadow never does
    # the UW key the processes ran with never lands in a log, state file, report, bundle or pack
    leaked = [str(f) for f in (tmp_path / day).rglob("*") if f.is_file() and b"sim-key" in f.read_bytes()]
    assert leaked == []
