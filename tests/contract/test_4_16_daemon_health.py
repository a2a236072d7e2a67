"""Contract 4.16 (UW flow daemon health sentinel) -> state/uw_daemon_health_state.json.
The sentinel MUST validate: main PID alive (/proc), lock exists + held + PID match, polling output
freshness, crash-loop risk via restart counters, uw_rate_limit_block / uw_invalid_endpoint_attempt
spikes in logs/system_events.jsonl; MUST log uw_daemon_health_ok|warning|critical; MAY restart the
daemon only when explicitly enabled, logging uw_daemon_self_heal_attempt and the outcome.
Every critical condition below is set up for real: real processes, real flocks, real files, real events."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from src.core.events import emit
from src.core.jsonio import atomic_write_json
from src.core.paths import Paths
from src.core.state import inspect_state
from src.intel.daemon_health import lock_held, read_lock_info, run_daemon_health_check
from src.intel.models import DaemonHealthState

HOLDER = r"""
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, json.dumps({"pid": os.getpid(), "host": "test", "started_at": time.time()}).encode())
print("ready", flush=True)
sys.stdin.read()
"""
OPTS = {"process_source": "lock_file"}


def start_holder(lock: Path) -> subprocess.Popen:
    """A stand-in daemon: a separate process holding the exclusive flock, like uw_flow_daemon."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


@pytest.fixture
def daemon(home: Paths) -> Iterator[subprocess.Popen]:
    proc = start_holder(home.uw_daemon_lock)
    try:
        yield proc
    finally:
        stop(proc)


def write_cache(paths: Paths, age_s: float, pid: int | None = None) -> None:
    atomic_write_json(
        paths.uw_flow_cache,
        {
            "_meta": {
                "written_at": time.time() - age_s,
                "written_by": "uw_flow_daemon",
                "daemon_pid": pid,
                "poll_cycle": 42,
            },
            "market": {},
            "symbols": {},
        },
    )


def check(paths: Paths, **extra) -> tuple[dict, DaemonHealthState]:
    res = run_daemon_health_check("2026-03-10", paths, None, {**OPTS, "now": datetime.now(UTC).isoformat(), **extra})
    state = inspect_state(paths.uw_daemon_health_state, DaemonHealthState).value
    assert res["ok"] and state is not None
    return res, state


def test_healthy_daemon_is_ok(home, daemon, read_events) -> None:
    write_cache(home, 10, daemon.pid)
    res, state = check(home)
    assert state.status == "ok", state.reasons
    assert state.checks["process"].data["pid"] == daemon.pid and state.checks["process"].data["alive"]
    assert state.checks["lock"].data["held"] is True and state.checks["lock"].data["pid"] == daemon.pid
    assert read_events(home, "uw_daemon_health_ok")
    assert lock_held(home.uw_daemon_lock) is True  # our probe released its own attempt, the daemon still holds it


def test_dead_daemon_is_critical(home, read_events) -> None:
    proc = start_holder(home.uw_daemon_lock)
    pid = proc.pid
    stop(proc)  # the daemon died: its pid is in the lock file, nobody holds the lock
    write_cache(home, 10, pid)
    res, state = check(home)
    assert state.status == "critical"
    assert state.checks["process"].status == "critical" and state.checks["process"].data["pid"] == pid
    assert state.checks["lock"].status == "critical" and state.checks["lock"].data["held"] is False
    assert read_events(home, "uw_daemon_health_critical")
    assert not read_events(home, "uw_daemon_self_heal_attempt")  # not enabled: no restart attempt


def test_missing_lock_file_is_critical(home) -> None:
    write_cache(home, 10)
    _, state = check(home)
    assert state.status == "critical" and state.checks["lock"].data["exists"] is False


def test_stale_cache_is_critical(home, daemon, read_events) -> None:
    write_cache(home, 2 * 3600, daemon.pid)
    _, state = check(home)
    assert state.status == "critical"
    assert state.checks["cache"].status == "critical" and state.checks["cache"].data["age_s"] >= 7000
    assert state.checks["process"].status == "ok" and state.checks["lock"].status == "ok"
    assert read_events(home, "uw_daemon_health_critical")


def test_aging_cache_is_a_warning(home, daemon, read_events) -> None:
    write_cache(home, 600, daemon.pid)
    _, state = check(home)
    assert state.status == "warning" and state.checks["cache"].status == "warning"
    assert read_events(home, "uw_daemon_health_warning")


@pytest.mark.parametrize("event_type,count", [("uw_rate_limit_block", 35), ("uw_invalid_endpoint_attempt", 6)])
def test_event_spike_is_critical(home, daemon, read_events, event_type, count) -> None:
    write_cache(home, 5, daemon.pid)
    for i in range(count):
        emit("uw_client", event_type, "warning", paths=home, endpoint="/api/stock/{ticker}/greeks", attempt=i)
    _, state = check(home)
    assert state.status == "critical"
    assert state.checks["event_spikes"].status == "critical"
    assert state.checks["event_spikes"].data[event_type] == count


def test_old_events_outside_window_do_not_count(home, daemon) -> None:
    write_cache(home, 5, daemon.pid)
    old = "2020-01-01T00:00:00.000+00:00"
    with open(home.system_events, "ab") as fh:
        for _ in range(50):
            fh.write(
                orjson.dumps(
                    {
                        "ts": old,
                        "subsystem": "uw_client",
                        "event_type": "uw_rate_limit_block",
                        "severity": "warning",
                        "pid": 1,
                        "details": {},
                    }
                )
                + b"\n"
            )
    _, state = check(home)
    assert state.checks["event_spikes"].status == "ok" and state.status == "ok"


def test_crash_loop_from_pid_changes_is_critical(home) -> None:
    write_cache(home, 5)
    statuses = []
    for _ in range(6):  # the daemon restarts between every check: a new pid holds the lock each time
        proc = start_holder(home.uw_daemon_lock)
        try:
            _, state = check(home, restarts_critical=5)
            statuses.append(state.checks["restarts"].status)
        finally:
            stop(proc)
    assert statuses[0] == "ok" and statuses[-1] == "critical"
    assert state.checks["restarts"].data["restarts_in_window"] == 5


def test_self_heal_only_when_enabled_and_logs_attempt_and_outcome(home, read_events, tmp_path, monkeypatch) -> None:
    # a stand-in `docker` on PATH records the restart command instead of touching real containers
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "docker_args"
    (bindir / "docker").write_text(f'#!/bin/sh\necho "$@" > {record}\nexit 0\n')
    (bindir / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    write_cache(home, 3 * 3600)
    _, state = check(home, self_heal=True)
    assert state.status == "critical" and state.self_heal and state.self_heal["ok"] is True
    assert "compose" in record.read_text() and "restart uw-daemon" in record.read_text()
    assert read_events(home, "uw_daemon_self_heal_attempt") and read_events(home, "uw_daemon_self_heal_succeeded")
    (bindir / "docker").write_text("#!/bin/sh\nexit 3\n")
    _, state = check(home, self_heal=True)
    assert state.self_heal["ok"] is False and state.self_heal["returncode"] == 3
    assert read_events(home, "uw_daemon_self_heal_failed")


@pytest.mark.parametrize(
    "content,pid",
    [
        ('{"pid": 4242, "host": "h"}', 4242),
        ("pid=77\nhost=x\n", 77),
        ("1234\n", 1234),
        ("", None),
        ("garbage:::", None),
    ],
)
def test_lock_contents_read_tolerantly(tmp_path, content, pid) -> None:
    p = tmp_path / "lock"
    p.write_text(content)
    got = read_lock_info(p).get("pid")
    assert (int(got) if got is not None else None) == pid
