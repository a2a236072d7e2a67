"""Droplet runner against the local transport: order, stop on failed regression, sync log, sync failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.core.settings import Settings
from src.telemetry.droplet import LIFECYCLE, PACK, run_droplet
from src.telemetry.sync import LocalTransport, SshTransport, StepOutcome
from tests.integration.telemetry.droplet_stubs import CALLS, OVERRIDES
from tests.unit.telemetry.golden_day import DAY, write_golden_day


@pytest.fixture
def droplet(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "droplet").ensure()


def _transport(droplet: Paths, **overrides: str) -> LocalTransport:
    return LocalTransport(droplet, Settings(job_overrides={**OVERRIDES, **overrides}))


def _calls(droplet: Paths) -> list[str]:
    return [r["job"] for r in read_jsonl(droplet.root / CALLS)[0]]


def _sync_log(home: Paths) -> list[dict]:
    return read_jsonl(home.droplet_sync_day(DAY) / "sync_log.jsonl")[0]


def test_steps_run_in_contract_order_and_sync(home: Paths, droplet: Paths) -> None:
    res = run_droplet(DAY, home, _transport(droplet), postclose_pack=True)
    assert res.ok and res.stopped_at is None
    assert _calls(droplet) == [*LIFECYCLE, PACK]
    log = _sync_log(home)
    assert [(r["step"], r["kind"]) for r in log[:6]] == [(j, "run") for j in (*LIFECYCLE, PACK)]
    assert [r["step"] for r in log[6:]] == ["fetch:state", f"fetch:telemetry/{DAY}", "fetch:reports",
                                            f"fetch:analysis_packs/{DAY}"]
    assert all(r["transport"] == "local" and r["day"] == DAY and "ts" in r for r in log)
    sync = home.droplet_sync_day(DAY)
    assert (sync / "analysis_packs" / DAY / f"MASTER_SUMMARY_{DAY}.md").is_file()
    assert (sync / "state" / "daily_universe.json").is_file()
    assert (sync / "telemetry" / DAY / f"FULL_TELEMETRY_{DAY}.md").is_file()
    assert all(r["ok"] for r in log)


def test_failed_regression_stops_later_steps(home: Paths, droplet: Paths, read_events) -> None:
    t = _transport(droplet, regression_checks="tests.integration.telemetry.droplet_stubs:regression_fail")
    res = run_droplet(DAY, home, t, postclose_pack=True)
    assert res.ok is False and res.stopped_at == "regression_checks"
    assert _calls(droplet) == list(LIFECYCLE)  # no pack after a failed regression
    log = _sync_log(home)
    assert [r["step"] for r in log if r["kind"] == "run"] == list(LIFECYCLE)
    assert not any(r["step"].startswith("fetch:analysis_packs") for r in log)
    assert any(e["details"].get("step") == "regression_checks" for e in read_events(home, "droplet_step_failed"))
    assert "stopped after failed regression_checks" in res.as_dict()["message"]


class _BrokenFetch(LocalTransport):
    def _fetch(self, remote_rel: str, dest: Path) -> StepOutcome:
        raise OSError(28, "No space left on device")


def test_failing_sync_step_is_logged_not_raised(home: Paths, droplet: Paths) -> None:
    t = _BrokenFetch(droplet, Settings(job_overrides=OVERRIDES))
    res = run_droplet(DAY, home, t)
    assert res.ok is False and res.stopped_at is None
    fetches = [r for r in _sync_log(home) if r["kind"] == "fetch"]
    assert len(fetches) == 3 and all(not r["ok"] and "No space left" in r["detail"] for r in fetches)


def test_crashing_job_body_is_a_failed_step(home: Paths, droplet: Paths) -> None:
    t = _transport(droplet, premarket_intel="tests.integration.telemetry.droplet_stubs:no_such_function_here")
    res = run_droplet(DAY, home, t)  # a missing body is a placeholder (ok); a raising one must not escape
    assert res.stopped_at is None
    t2 = _transport(droplet, premarket_intel="json:loads")  # wrong signature: raises TypeError inside the step
    res2 = run_droplet(DAY, home, t2)
    step = next(s for s in res2.steps if s["step"] == "premarket_intel")
    assert step["ok"] is False and "TypeError" in step["detail"]
    assert res2.steps[-1]["kind"] == "fetch"  # the run went on to regression and sync


def test_real_bodies_end_to_end_on_the_golden_day(home: Paths, droplet: Paths) -> None:
    """Stubbed intel, real telemetry bundle + regression + pack, all on a separate droplet root."""
    write_golden_day(droplet)
    over = {k: v for k, v in OVERRIDES.items() if k in ("build_daily_universe", "premarket_intel", "postmarket_intel")}
    t = LocalTransport(droplet, Settings(job_overrides=over))
    res = run_droplet(DAY, home, t, postclose_pack=True,
                      options={"regression_checks": {"skip": ["uw_spec", "import_audit"]}})
    assert res.ok, res.as_dict()
    sync = home.droplet_sync_day(DAY)
    assert len(list((sync / "telemetry" / DAY / "computed").glob("*.json"))) == 14
    assert (sync / "analysis_packs" / DAY / "charts" / "equity_curves.png").is_file()


def test_ssh_commands_are_built_from_settings() -> None:
    s = Settings(sync_transport="ssh", sync_host="droplet.example", sync_user="bot", sync_ssh_key="/keys/id_ed25519",
                 sync_remote_repo="/srv/stock bot", sync_remote_home="/srv/var")
    t = SshTransport.from_settings(s)
    cmd = t.job_command("regression_checks", DAY)
    assert cmd[:3] == ["ssh", "-i", "/keys/id_ed25519"] and "bot@droplet.example" in cmd
    assert cmd[-1] == (f"cd '/srv/stock bot' && STOCKBOT_HOME=/srv/var .venv/bin/python "
                       f"scripts/run_regression_checks.py --date {DAY} --json")
    rs = t.fetch_command(f"telemetry/{DAY}", Path("/local/sync/telemetry") / DAY)
    assert rs[0] == "rsync" and rs[-2] == f"bot@droplet.example:/srv/var/telemetry/{DAY}/"
    assert SshTransport("", "u", "", "/r", "/h").run_job("premarket_intel", DAY, {}).ok is False  # no host: logged


def test_script_with_local_droplet_home(home: Paths, droplet: Paths) -> None:
    env = dict(os.environ, STOCKBOT_HOME=str(home.root), STOCKBOT_JOB_OVERRIDES=json.dumps(OVERRIDES),
               PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run([sys.executable, "scripts/run_uw_intel_on_droplet.py", "--date", DAY, "--postclose-pack",
                          "--droplet-home", str(droplet.root), "--json"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert [s["step"] for s in result["steps"] if s["kind"] == "run"] == [*LIFECYCLE, PACK]
    assert out.returncode == (0 if result["ok"] else 1)
    assert len(_sync_log(home)) == len(result["steps"])
