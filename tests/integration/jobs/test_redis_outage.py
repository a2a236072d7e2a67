"""Redis stops for a while and comes back: the worker and the scheduler carry on by themselves.

The test runs its own `redis-server` (no persistence, so the restart also loses every key: the
harshest case) with a real intel worker and a real `rq cron` scheduler against it. The engine is
not part of this test because it never uses Redis (see compose.yaml: it does not even depend on
the redis service). STOCKBOT_TEST_REDIS_OUTAGE_S sets the outage (default 30 s).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FinishedJobRegistry

from src.core.paths import REPO_ROOT
from tests.integration.jobs.conftest import BODIES, PY
from tests.unit.jobs.bodies import runs

pytestmark = [pytest.mark.slow, pytest.mark.redis]
OUTAGE_S = float(os.environ.get("STOCKBOT_TEST_REDIS_OUTAGE_S", "30"))
RQ = str(Path(PY).parent / "rq")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    exe = shutil.which("redis-server")
    assert exe, "redis-server is needed for the outage test"
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _ping(port), 10, "redis-server to answer")
    return proc


def _ping(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _status(conn: redis.Redis, job_id: str) -> str | None:
    try:
        return Job.fetch(job_id, connection=conn).get_status().value
    except NoSuchJobError:
        return None


def healthcheck(role: str) -> bool:
    out = subprocess.run(
        [PY, "scripts/healthcheck_worker.py", "--role", role], cwd=REPO_ROOT, capture_output=True, timeout=30
    )
    return out.returncode == 0


@pytest.mark.timeout(OUTAGE_S + 150)
def test_worker_and_scheduler_survive_a_redis_outage(home, tmp_path: Path, monkeypatch) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    monkeypatch.setenv("STOCKBOT_SCHEDULE_TICK_S", "1")
    monkeypatch.setenv("STOCKBOT_WORKER_TTL_S", "20")
    monkeypatch.setenv("STOCKBOT_CLOCK_SIM_START", "2026-11-27T08:05:00-05:00")  # universe build is due
    jobs = {"build_daily_universe": "write_artifact", "intel_health_checks": "write_artifact"}
    monkeypatch.setenv("STOCKBOT_JOB_OVERRIDES", json.dumps({k: f"{BODIES}:{v}" for k, v in jobs.items()}))
    env = dict(os.environ)
    logs = {n: open(tmp_path / f"{n}.log", "w") for n in ("worker", "scheduler")}  # noqa: SIM115
    server = start_redis(port)
    procs: list[subprocess.Popen] = []
    try:
        procs.append(
            subprocess.Popen(
                [PY, "services/intel-worker/worker.py"],
                cwd=REPO_ROOT,
                env=env,
                stdout=logs["worker"],
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    RQ,
                    "cron",
                    "--connection-class",
                    "src.jobs.connection.ResilientRedis",
                    "-u",
                    url,
                    "services/scheduler/cron_config.py",
                ],
                cwd=REPO_ROOT,
                env={**env, "TZ": "America/New_York"},
                stdout=logs["scheduler"],
                stderr=subprocess.STDOUT,
            )
        )
        # before: the scheduler's tick finds the universe build due and the worker runs it
        wait_for(lambda: len(runs(home)) >= 1, 40, "the scheduled job to run before the outage")
        wait_for(lambda: healthcheck("intel-worker") and healthcheck("scheduler"), 30, "healthy worker + scheduler")

        server.terminate()
        server.wait(timeout=10)
        time.sleep(OUTAGE_S)
        assert [p.poll() for p in procs] == [None, None], "a process exited during the outage"
        assert not healthcheck("intel-worker")  # honest while Redis is away

        server = start_redis(port)  # same port, empty: every key is gone
        conn = redis.Redis.from_url(url)
        # after: ticks flow again (scheduler enqueues, worker runs them) with nobody restarting anything
        finished = FinishedJobRegistry("schedule", connection=conn)
        wait_for(lambda: finished.count >= 1, 60, "a schedule tick to be processed after the restart")
        enq = subprocess.run(
            [PY, "scripts/run_intel_health_checks.py", "--enqueue", "--date", "2026-11-27"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert enq.returncode == 0, enq.stdout + enq.stderr
        wait_for(lambda: _status(conn, "intel_health_checks-2026-11-27") == "finished", 40, "a new job to run")
        wait_for(lambda: healthcheck("intel-worker") and healthcheck("scheduler"), 40, "healthchecks to pass again")
        assert [p.poll() for p in procs] == [None, None]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        server.terminate()
        server.wait(timeout=10)
        for f in logs.values():
            f.close()
    worker_log = (tmp_path / "worker.log").read_text()
    assert "re-registered" in worker_log  # the worker restored its lost registration by itself
