"""Contract 6 (and 8): supervisor lifecycle with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from src.core.paths import REPO_ROOT
from src.core.procs import pid_alive
from src.core.state import inspect_state
from src.engine.models import Heartbeat

pytestmark = pytest.mark.slow
SUPERVISOR = str(REPO_ROOT / "services/supervisor/deploy_supervisor.py")


def _env(home, **extra):
    env = dict(os.environ)
    env.update(
        STOCKBOT_HOME=str(home.root),
        STOCKBOT_CYCLE_INTERVAL_S="0.3",
        STOCKBOT_HEARTBEAT_STALE_S="3",
        STOCKBOT_WATCHDOG_GRACE_S="3",
        STOCKBOT_RESTART_BACKOFF_INITIAL_S="0.2",
        STOCKBOT_RESTART_BACKOFF_MAX_S="2",
        STOCKBOT_KILL_TIMEOUT_S="2",
        STOCKBOT_SHADOW_ENABLED="0",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _wait(cond, timeout=20.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("condition not met in time")


def _hb(home):
    return inspect_state(home.heartbeat, Heartbeat).value


def _types(read_events, home, prefix="TRADING_ENGINE_"):
    return [e["event_type"] for e in read_events(home) if e["event_type"].startswith(prefix)]


@pytest.fixture
def supervisor(home):
    procs = []

    def start(**extra):
        p = subprocess.Popen([sys.executable, SUPERVISOR], env=_env(home, **extra), cwd=str(home.root))
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def test_6_1_kill_9_restarts_with_four_events_and_fresh_heartbeat(home, supervisor, read_events):
    supervisor()
    first = _wait(lambda: (hb := _hb(home)) and hb.cycle >= 2 and hb)
    killed_at = time.time()
    os.kill(first.pid, signal.SIGKILL)
    second = _wait(lambda: (hb := _hb(home)) and hb.pid != first.pid and hb.ts_epoch > killed_at and hb)
    assert second.running and pid_alive(second.pid)
    seq = _types(read_events, home)
    assert seq[:6] == [
        "TRADING_ENGINE_STARTING",
        "TRADING_ENGINE_STARTED",
        "TRADING_ENGINE_EXITED",
        "TRADING_ENGINE_RESTARTING",
        "TRADING_ENGINE_STARTING",
        "TRADING_ENGINE_STARTED",
    ]
    exited = read_events(home, "TRADING_ENGINE_EXITED")[0]["details"]
    assert exited["exit"] == "signal SIGKILL" and exited["engine_pid"] == first.pid


def test_6_1_sigstop_engine_is_restarted_after_staleness(home, supervisor, read_events):
    supervisor()
    first = _wait(lambda: (hb := _hb(home)) and hb.cycle >= 1 and hb)
    os.kill(first.pid, signal.SIGSTOP)
    stopped_at = time.time()
    second = _wait(lambda: (hb := _hb(home)) and hb.pid != first.pid and hb)
    assert time.time() - stopped_at >= 3.0  # not before the staleness limit
    stale = read_events(home, "TRADING_ENGINE_HEARTBEAT_STALE")
    assert len(stale) == 1 and stale[0]["details"]["engine_pid"] == first.pid
    assert not pid_alive(first.pid)
    assert pid_alive(second.pid)


def test_6_2_sigterm_leaves_no_engine(home, supervisor, read_events):
    p = supervisor()
    hb = _wait(lambda: (h := _hb(home)) and h.cycle >= 1 and h)
    p.send_signal(signal.SIGTERM)
    assert p.wait(15) == 0
    assert not pid_alive(hb.pid)
    assert "TRADING_ENGINE_STOPPED" in _types(read_events, home)


def test_6_2_unresponsive_engine_is_killed_after_timeout(home, supervisor, read_events, tmp_path):
    stubborn = tmp_path / "stubborn.py"
    stubborn.write_text("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(1)\n")
    p = supervisor(STOCKBOT_ENGINE_CMD=f"{sys.executable} {stubborn}", STOCKBOT_WATCHDOG_GRACE_S="60")
    started = _wait(lambda: read_events(home, "TRADING_ENGINE_STARTED"))
    child = started[0]["details"]["engine_pid"]
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    assert p.wait(15) == 0
    assert not pid_alive(child)
    assert read_events(home, "TRADING_ENGINE_KILLED")


def test_6_1_crash_on_start_backs_off_and_flags_crash_loop(home, supervisor, read_events, tmp_path):
    crasher = tmp_path / "crash.py"
    crasher.write_text("import sys\nsys.exit(3)\n")
    p = supervisor(STOCKBOT_ENGINE_CMD=f"{sys.executable} {crasher}", STOCKBOT_CRASH_LOOP_RESTARTS="4")
    _wait(lambda: len(read_events(home, "TRADING_ENGINE_RESTARTING")) >= 5, timeout=30)
    assert p.poll() is None  # the supervisor itself stays alive
    backoffs = [e["details"]["backoff_s"] for e in read_events(home, "TRADING_ENGINE_RESTARTING")][:5]
    assert backoffs == [0.2, 0.4, 0.8, 1.6, 2.0]  # doubles, then capped at the max
    assert read_events(home, "TRADING_ENGINE_CRASH_LOOP")
    assert read_events(home, "TRADING_ENGINE_EXITED")[0]["details"]["exit"] == "exit code 3"


def test_3_2_corrupt_state_never_stops_supervisor(home, supervisor):
    home.heartbeat.write_bytes(b"\x00garbage")
    home.supervisor_state.mkdir()
    p = supervisor()
    hb = _wait(lambda: (h := _hb(home)) and h.cycle >= 2 and h)
    assert p.poll() is None and pid_alive(hb.pid)


def test_8_status_reports_healthy_then_unhealthy(home, supervisor):
    from src.core.jsonio import atomic_write_json

    atomic_write_json(home.uw_flow_cache, {"_meta": {"written_at": time.time()}, "symbols": {"A": {}}})
    p = supervisor()
    _wait(lambda: (h := _hb(home)) and h.cycle >= 2)
    status = [sys.executable, str(REPO_ROOT / "scripts/status.py")]
    ok = subprocess.run(status, env=_env(home), capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout
    assert "HEALTHY" in ok.stdout and "[OK  ] heartbeat fresh" in ok.stdout
    p.send_signal(signal.SIGTERM)
    p.wait(15)
    bad = subprocess.run(status, env=_env(home), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "[FAIL] supervisor running" in bad.stdout and "[FAIL] engine subprocess running" in bad.stdout
