"""Fixtures for job-plane integration tests: a private queue namespace on the shared test Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis

from src.core.paths import REPO_ROOT

PY = sys.executable
BODIES = "tests.unit.jobs.bodies"


@pytest.fixture
def jobs_ns(home, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Unique queue names and job ids for this test, so parallel test runs never share a queue."""
    ns = f"t{uuid.uuid4().hex[:10]}-"
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("STOCKBOT_JOBS_NAMESPACE", ns)
    monkeypatch.setenv("STOCKBOT_JOB_RETRY_INTERVAL_S", "0")
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    yield ns
    conn = redis.Redis.from_url(redis_url)
    for key in conn.scan_iter(match=f"*{ns}*", count=500):
        conn.delete(key)


def set_overrides(monkeypatch: pytest.MonkeyPatch, **jobs: str) -> None:
    monkeypatch.setenv("STOCKBOT_JOB_OVERRIDES", json.dumps({k: f"{BODIES}:{v}" for k, v in jobs.items()}))


def script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, *args], cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=timeout
    )


def burst(role: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """A real worker process (the service entrypoint) draining its queues, then exiting."""
    return script(f"services/{role}/worker.py", "--burst", timeout=timeout)
