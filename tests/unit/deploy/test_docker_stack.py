"""Build the images and run the stack, where a Docker engine with compose v2 is available."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import uuid

import pytest

from src.core.paths import REPO_ROOT
from tests.unit.deploy.deployfiles import SERVICES


def _docker_unavailable() -> str | None:
    try:
        if subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode != 0:
            return "no Docker engine answers (`docker info` failed)"
        if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=10).returncode != 0:
            return "the Docker compose v2 plugin is not installed"
    except (OSError, subprocess.SubprocessError) as exc:
        return f"docker CLI unusable: {type(exc).__name__}"
    return None


@pytest.mark.slow
def test_images_build_and_stack_becomes_healthy() -> None:
    reason = _docker_unavailable()
    if reason:
        print(f"SKIP docker stack test: {reason}")
        pytest.skip(reason)
    project = f"stockbot-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STOCKBOT_", "UW_", "ALPACA_", "RQ_"))}
    env["STOCKBOT_IMAGE_TAG"] = project
    dc = ["docker", "compose", "-p", project, "-f", str(REPO_ROOT / "compose.yaml")]

    def run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*dc, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)

    try:
        built = run("build")
        assert built.returncode == 0, built.stderr[-3000:]
        up = run("up", "-d", "--wait", "--wait-timeout", "300")
        assert up.returncode == 0, up.stderr[-3000:] + run("ps").stdout + run("logs", "--tail", "50").stdout[-5000:]
        ps = run("ps", "--format", "json").stdout
        rows = (
            [json.loads(line) for line in ps.splitlines() if line.strip()] if not ps.startswith("[") else json.loads(ps)
        )
        health = {r["Service"]: r.get("Health", "") for r in rows}
        assert set(health) == set(SERVICES)
        assert all(h == "healthy" for h in health.values()), health
        assert run("exec", "-T", "engine", "id", "-u").stdout.strip() != "0"
        assert run("exec", "-T", "engine", "cat", "/proc/1/comm").stdout.strip() == "tini"
        conn = http.client.HTTPConnection("127.0.0.1", 9181, timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 401  # credentials required
    finally:
        run("down", "-v", "--timeout", "60", timeout=300)
        images = [f"stock-bot/{s}:{project}" for s in SERVICES if s != "redis"]
        subprocess.run(["docker", "image", "rm", "-f", *images], capture_output=True, timeout=120)
