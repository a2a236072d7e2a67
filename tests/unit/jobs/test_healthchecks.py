"""Daemon healthcheck: lock held (probed without keeping it) and cache freshness."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time

import orjson

from src.core.paths import REPO_ROOT
from tests.conftest import PY

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import healthcheck_daemon as hc  # noqa: E402


def write_cache(home, written_at: float | None) -> None:
    meta = {"written_by": "test", "daemon_pid": 1}
    if written_at is not None:
        meta["written_at"] = written_at
    home.uw_flow_cache.write_bytes(orjson.dumps({"_meta": meta, "market": {}, "symbols": {}}))


def hold_lock(home) -> int:
    fd = os.open(home.uw_daemon_lock, os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b"pid=4242 host=test\n")
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_healthy_when_lock_held_and_cache_fresh(home) -> None:
    fd = hold_lock(home)
    try:
        write_cache(home, time.time() - 10)
        ok, msg = hc.check(home, max_age_s=300)
        assert ok, msg
        assert "pid=4242" in msg
        # the probe released its attempt: the holder still has the lock and can re-lock
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_unhealthy_when_lock_free_missing_or_cache_stale(home) -> None:
    write_cache(home, time.time())
    ok, msg = hc.check(home, max_age_s=300)
    assert not ok and "missing" in msg
    home.uw_daemon_lock.write_text("pid=1\n")  # left behind by a dead daemon: file there, nobody holds it
    ok, msg = hc.check(home, max_age_s=300)
    assert not ok and "not held" in msg
    fd = hold_lock(home)
    try:
        write_cache(home, time.time() - 1000)
        ok, msg = hc.check(home, max_age_s=300)
        assert not ok and "limit 300s" in msg
        write_cache(home, None)
        ok, msg = hc.check(home, max_age_s=300)
        assert not ok and "never written" in msg
        home.uw_flow_cache.write_text("{not json")
        ok, msg = hc.check(home, max_age_s=300)
        assert not ok and "corrupt" in msg
        assert home.uw_flow_cache.read_text() == "{not json"  # read-only: the daemon's file is untouched
    finally:
        os.close(fd)


def test_script_exit_codes_with_lock_held_by_another_process(home) -> None:
    write_cache(home, time.time())
    holder = subprocess.Popen(
        [
            PY,
            "-c",
            "import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            str(home.uw_daemon_lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        run = subprocess.run([PY, "scripts/healthcheck_daemon.py"], cwd=REPO_ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    finally:
        holder.kill()
        holder.wait()
    run = subprocess.run([PY, "scripts/healthcheck_daemon.py"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and run.stdout.startswith("UNHEALTHY")
