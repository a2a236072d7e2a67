"""Contract 4.7: droplet execution in order, stop on failed regression, sync under droplet_sync/<day>/."""

from __future__ import annotations

from pathlib import Path

from src.core.jsonio import read_jsonl
from src.core.paths import Paths
from src.core.settings import Settings
from src.telemetry.droplet import LIFECYCLE, run_droplet
from src.telemetry.sync import LocalTransport
from tests.integration.telemetry.droplet_stubs import OVERRIDES
from tests.unit.telemetry.golden_day import DAY


def test_4_7_order_stop_and_sync_log(home: Paths, tmp_path: Path) -> None:
    """4.7: correct order; MUST stop if regression fails; append droplet_sync/<day>/sync_log.jsonl; never raise."""
    droplet = Paths(tmp_path / "droplet").ensure()
    fail = {**OVERRIDES, "regression_checks": "tests.integration.telemetry.droplet_stubs:regression_fail"}
    res = run_droplet(DAY, home, LocalTransport(droplet, Settings(job_overrides=fail)), postclose_pack=True)
    runs = [s["step"] for s in res.steps if s["kind"] == "run"]
    assert runs == list(LIFECYCLE) and runs.index("postmarket_intel") < runs.index("regression_checks")
    assert res.stopped_at == "regression_checks" and res.ok is False
    log, _ = read_jsonl(home.droplet_sync_day(DAY) / "sync_log.jsonl")
    assert len(log) == len(res.steps)
    assert (home.droplet_sync_day(DAY) / "state").is_dir()
