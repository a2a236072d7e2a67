"""run_cli: in-process runs, results, exit codes and failure events (Redis-free paths)."""

from __future__ import annotations

import json

import pytest

from src.jobs.cli import EXIT_FAILED, EXIT_OK, run_cli
from src.jobs.runner import JobFailed, perform
from tests.unit.jobs.bodies import runs

BODIES = "tests.unit.jobs.bodies"


def override(monkeypatch: pytest.MonkeyPatch, job: str, func: str) -> None:
    monkeypatch.setenv("STOCKBOT_JOB_OVERRIDES", json.dumps({job: f"{BODIES}:{func}"}))


def test_in_process_run_writes_artifact_and_passes_options(home, monkeypatch, capsys, read_events) -> None:
    override(monkeypatch, "intel_pnl", "write_artifact")
    rc = run_cli("intel_pnl", ["--date", "2026-11-27", "--json", "--skip-regression"])
    assert rc == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["job"] == "intel_pnl" and out["day"] == "2026-11-27"
    artifact = home.reports / "TEST_JOB_2026-11-27.json"
    assert out["artifacts"] == [str(artifact)] and artifact.exists()
    opts = json.loads(artifact.read_text())["options"]
    assert opts == {"skip_regression": True, "self_heal": False}
    assert read_events(home, "job_failed") == []


def test_placeholder_job_runs_and_says_not_implemented(home, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STOCKBOT_JOB_OVERRIDES", json.dumps({"exit_day_summary": f"{BODIES}_absent:run"}))
    assert run_cli("exit_day_summary", ["--date", "2026-11-27"]) == EXIT_OK
    line = capsys.readouterr().out.strip()
    assert line.startswith("exit_day_summary 2026-11-27: ok (not implemented yet)")


def test_not_ok_result_exits_with_body_code_and_one_event(home, monkeypatch, read_events) -> None:
    override(monkeypatch, "preopen_readiness", "not_ok")
    assert run_cli("preopen_readiness", ["--date", "2026-11-27"]) == 2  # the body's exit_code
    ev = read_events(home, "job_failed")
    assert len(ev) == 1 and ev[0]["details"]["job"] == "preopen_readiness" and ev[0]["subsystem"] == "jobs"


def test_crashing_body_exits_1_with_one_event(home, monkeypatch, capsys, read_events) -> None:
    override(monkeypatch, "regime_detector", "always_fail")
    assert run_cli("regime_detector", ["--date", "2026-11-27"]) == EXIT_FAILED
    assert "FAILED (RuntimeError: boom on 2026-11-27)" in capsys.readouterr().out
    ev = read_events(home, "job_failed")
    assert len(ev) == 1 and ev[0]["details"]["error_type"] == "RuntimeError"
    assert len(runs(home)) == 1


def test_malformed_result_is_a_failure(home, monkeypatch) -> None:
    override(monkeypatch, "intel_pnl", "bad_shape")
    assert run_cli("intel_pnl", ["--date", "2026-11-27"]) == EXIT_FAILED


def test_default_date_is_new_york_date_from_the_clock(home, monkeypatch) -> None:
    override(monkeypatch, "intel_pnl", "write_artifact")
    # 01:00 UTC on the 27th is still the 26th in New York
    monkeypatch.setenv("STOCKBOT_CLOCK_SIM_START", "2026-11-27T01:00:00+00:00")
    assert run_cli("intel_pnl", []) == EXIT_OK
    assert runs(home)[-1]["day"] == "2026-11-26"


def test_bad_date_is_rejected(home) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli("intel_pnl", ["--date", "27/11/2026"])
    assert exc.value.code == 2


def test_rq_entry_raises_on_not_ok_and_returns_dict_on_ok(home, monkeypatch) -> None:
    override(monkeypatch, "intel_pnl", "not_ok")
    with pytest.raises(JobFailed, match="inputs stale"):
        perform("intel_pnl", "2026-11-27", {})
    override(monkeypatch, "intel_pnl", "write_artifact")
    res = perform("intel_pnl", "2026-11-27", {"x": 1})
    assert res["ok"] is True and res["artifacts"] and res["job"] == "intel_pnl"


def test_job_plane_settings_survive_an_invalid_trading_config(home, monkeypatch) -> None:
    from src.jobs.enqueue import settings_or_default

    monkeypatch.setenv("STOCKBOT_MODE", "paper")  # no Alpaca keys: load_settings() refuses
    monkeypatch.setenv("REDIS_URL", "redis://redis.example:6379/3")
    monkeypatch.setenv("STOCKBOT_JOBS_NAMESPACE", "ab-")
    s = settings_or_default()
    assert s.redis_url == "redis://redis.example:6379/3" and s.jobs_namespace == "ab-"
    monkeypatch.setenv("STOCKBOT_JOB_RETRIES", "not-a-number")  # even a broken job setting
    assert settings_or_default().redis_url == "redis://redis.example:6379/3"
