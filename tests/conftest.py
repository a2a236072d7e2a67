"""Shared fixtures: an isolated STOCKBOT_HOME per test and one Redis choice for the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths

PY = sys.executable


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A fresh runtime root; every process the test starts inherits it via the env."""
    root = tmp_path / "home"
    monkeypatch.setenv("STOCKBOT_HOME", str(root))
    for name in ("UW_API_KEY", "ALPACA_API_KEY", "ALPACA_SECRET_KEY", "STOCKBOT_MODE"):
        monkeypatch.delenv(name, raising=False)
    return Paths(root).ensure()


def events(paths: Paths, event_type: str | None = None) -> list[dict]:
    rows, _ = read_jsonl(paths.system_events)
    return [r for r in rows if event_type is None or r.get("event_type") == event_type]


@pytest.fixture
def read_events():
    return events


def _docker_engine() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """Redis for integration tests: testcontainers where a Docker engine runs, else the local one."""
    if _docker_engine():
        from testcontainers.redis import RedisContainer

        with RedisContainer("redis:7-alpine") as rc:
            yield f"redis://{rc.get_container_host_ip()}:{rc.get_exposed_port(6379)}"
        return
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    rc = subprocess.run([PY, str(REPO_ROOT / "scripts" / "ensure_redis.py")], env=os.environ.copy())
    if rc.returncode != 0:
        pytest.fail("no Redis available for integration tests")
    yield url


@pytest.fixture
def redis_url(redis_server_url: str, worker_id: str) -> str:
    """A Redis database of this xdist worker's own, emptied for the test."""
    import redis

    db = 1 + (int(worker_id[2:]) if worker_id.startswith("gw") else 0)
    url = f"{redis_server_url}/{db}"
    redis.Redis.from_url(url).flushdb()
    return url
