"""Jobs through real Redis and real rq worker processes: run, de-duplicate, retry, fail, event."""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import datetime

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.job import Job

from src.core.clock import NY
from src.core.paths import REPO_ROOT
from src.jobs.dispatch import run_tick
from src.jobs.enqueue import enqueue_job
from src.jobs.worker import queue_names
from tests.conftest import read_jsonl
from tests.integration.jobs.conftest import PY, burst, script, set_overrides
from tests.unit.jobs.bodies import runs

pytestmark = pytest.mark.redis
DAY = "2026-11-27"


def events(home, kind: str) -> list[dict]:
    rows, _ = read_jsonl(home.system_events)
    return [r for r in rows if r.get("event_type") == kind]


def test_script_enqueue_runs_once_on_a_real_worker(home, jobs_ns, redis_url, monkeypatch) -> None:
    set_overrides(monkeypatch, intel_pnl="write_artifact")
    first = script("scripts/run_intel_pnl.py", "--enqueue", "--date", DAY, "--skip-regression")
    assert first.returncode == 0, first.stderr
    assert f"queue {jobs_ns}telemetry as {jobs_ns}intel_pnl-{DAY}" in first.stdout
    dup = script("scripts/run_intel_pnl.py", "--enqueue", "--date", DAY)
    assert dup.returncode == 3 and "NOT enqueued (already queued" in dup.stdout
    conn = redis.Redis.from_url(redis_url)
    assert Queue(f"{jobs_ns}telemetry", connection=conn).count == 1  # one entry, not two

    worker = burst("telemetry-worker")
    assert worker.returncode == 0, worker.stderr[-2000:]
    artifact = home.reports / f"TEST_JOB_{DAY}.json"
    assert artifact.exists()
    assert [r["body"] for r in runs(home)] == ["write_artifact"]  # ran exactly once
    job = Job.fetch(f"{jobs_ns}intel_pnl-{DAY}", connection=conn)
    assert job.get_status().value == "finished"
    result = job.return_value()
    assert result["ok"] is True and result["artifacts"] == [str(artifact)]
    assert result["job"] == "intel_pnl" and job.meta["source"] == "cli"
    # finished is final for the day: a later enqueue is refused too, --force re-runs it
    again = script("scripts/run_intel_pnl.py", "--enqueue", "--date", DAY)
    assert again.returncode == 3 and "already finished" in again.stdout
    forced = script("scripts/run_intel_pnl.py", "--enqueue", "--force", "--date", DAY)
    assert forced.returncode == 0, forced.stdout + forced.stderr


def test_concurrent_enqueues_queue_the_job_once(home, jobs_ns, redis_url) -> None:
    conn = redis.Redis.from_url(redis_url)
    outcomes, start = [], threading.Barrier(16)

    def go() -> None:
        c = redis.Redis.from_url(redis_url)
        start.wait()
        outcomes.append(enqueue_job("regime_detector", DAY, {}, connection=c))

    threads = [threading.Thread(target=go) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(o.enqueued for o in outcomes) == 1
    assert Queue(f"{jobs_ns}intel", connection=conn).get_job_ids() == [f"{jobs_ns}regime_detector-{DAY}"]


def test_failing_job_retries_then_emits_one_event(home, jobs_ns, redis_url, monkeypatch) -> None:
    set_overrides(monkeypatch, premarket_exit_intel="always_fail")
    monkeypatch.setenv("STOCKBOT_JOB_RETRIES", "2")
    assert script("scripts/run_premarket_exit_intel.py", "--enqueue", "--date", DAY).returncode == 0
    worker = burst("intel-worker")
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert len(runs(home)) == 3  # the first attempt and two retries
    job = Job.fetch(f"{jobs_ns}premarket_exit_intel-{DAY}", connection=redis.Redis.from_url(redis_url))
    assert job.get_status().value == "failed"
    failed = events(home, "job_failed")
    assert len(failed) == 1
    d = failed[0]["details"]
    assert d["job"] == "premarket_exit_intel" and d["day"] == DAY and d["attempts"] == 3
    assert d["error_type"] == "RuntimeError" and d["via"] == "rq" and failed[0]["subsystem"] == "jobs"


def test_delayed_retry_goes_through_the_worker_scheduler(home, jobs_ns, redis_url, monkeypatch) -> None:
    set_overrides(monkeypatch, intel_dashboard="not_ok")
    monkeypatch.setenv("STOCKBOT_JOB_RETRIES", "1")
    monkeypatch.setenv("STOCKBOT_JOB_RETRY_INTERVAL_S", "1")
    conn = redis.Redis.from_url(redis_url)
    assert enqueue_job("intel_dashboard", DAY, {}, connection=conn).enqueued
    worker = subprocess.Popen(
        [PY, "services/telemetry-worker/worker.py"], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        job_id = f"{jobs_ns}intel_dashboard-{DAY}"
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if Job.fetch(job_id, connection=conn).get_status().value == "failed":
                break
            time.sleep(0.3)
        assert Job.fetch(job_id, connection=conn).get_status().value == "failed"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert len(runs(home)) == 2
    assert len(events(home, "job_failed")) == 1


def test_schedule_ticks_run_the_plan_in_order_and_never_twice(home, jobs_ns, redis_url, monkeypatch) -> None:
    set_overrides(monkeypatch, build_daily_universe="write_artifact", regime_detector="write_artifact")
    conn = redis.Redis.from_url(redis_url)
    day = datetime(2026, 11, 27, tzinfo=NY)

    def at(hh: int, mm: int) -> datetime:
        return day.replace(hour=hh, minute=mm)

    def work() -> None:
        SimpleWorker([Queue(q, connection=conn) for q in queue_names("intel-worker", jobs_ns)], connection=conn).work(
            burst=True
        )

    assert run_tick(conn, at(7, 59))["enqueued"] == []
    assert run_tick(conn, at(8, 5))["enqueued"] == [f"{jobs_ns}build_daily_universe-{DAY}"]
    tick = run_tick(conn, at(8, 6))  # still queued: nothing new, nothing twice
    assert tick["enqueued"] == [] and tick["waiting"] == ["build_daily_universe"]
    work()
    assert run_tick(conn, at(8, 7))["enqueued"] == []  # regime_detector is due at 08:10
    assert run_tick(conn, at(8, 11))["enqueued"] == [f"{jobs_ns}regime_detector-{DAY}"]
    work()
    assert [r["body"] for r in runs(home)] == ["write_artifact", "write_artifact"]
    job = Job.fetch(f"{jobs_ns}build_daily_universe-{DAY}", connection=conn)
    assert job.meta["source"] == "schedule" and job.get_status().value == "finished"
    # after the open, the pre-open jobs never queued are reported missed, once each
    late = run_tick(conn, at(9, 45))
    assert late["enqueued"] == [] and late["missed_now"][0] == "premarket_intel"
    assert run_tick(conn, at(9, 46))["missed_now"] == []
    assert len(events(home, "job_missed")) == 5
    holiday = run_tick(conn, datetime(2026, 11, 26, 8, 30, tzinfo=NY))
    assert holiday["plan"] == "empty" and "holiday" in holiday["reason"]


def test_killed_work_horse_still_ends_in_one_failure_event(home, jobs_ns, redis_url, monkeypatch) -> None:
    set_overrides(monkeypatch, exit_intel_pnl="kill_self")
    monkeypatch.setenv("STOCKBOT_JOB_RETRIES", "1")
    assert script("scripts/run_exit_intel_pnl.py", "--enqueue", "--date", DAY).returncode == 0
    worker = burst("intel-worker")
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert len(runs(home)) == 2
    job = Job.fetch(f"{jobs_ns}exit_intel_pnl-{DAY}", connection=redis.Redis.from_url(redis_url))
    assert job.get_status().value == "failed"
    failed = events(home, "job_failed")
    assert len(failed) == 1 and failed[0]["details"]["error_type"] == "WorkHorseKilled"
    assert "signal 9" in failed[0]["details"]["error"] and failed[0]["details"]["attempts"] == 2
