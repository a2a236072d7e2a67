"""Contract 4.9: uw_flow_daemon.py runs as a single instance, guarded by a flock on
state/uw_flow_daemon.lock; a second instance exits and logs subsystem="uw_poll"
event_type="uw_flow_daemon_already_running"; a kill -9 never leaves a lock that blocks a successor.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import orjson

from src.core.paths import REPO_ROOT
from src.uw.daemon import EXIT_ALREADY_RUNNING
from tests.conftest import events
from tests.integration.uw.sim_server import running_sim

DAEMON = str(REPO_ROOT / "services" / "uw-daemon" / "uw_flow_daemon.py")


def _env(sim_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "UW_API_KEY": "sim-key",
        "UW_BASE_URL": sim_url,
        "STOCKBOT_UW_DEFAULT_CORE": "AAPL,MSFT",
        "STOCKBOT_UW_CYCLE_S": "0.2",
        **extra,
    }


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, DAEMON, "--max-cycles", "100000"], cwd=REPO_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait(pred, timeout: float = 20.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _cache_pid(paths) -> int | None:
    try:
        return orjson.loads(paths.uw_flow_cache.read_bytes())["_meta"]["daemon_pid"]
    except (OSError, orjson.JSONDecodeError, KeyError):
        return None


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def test_two_daemons_at_once_one_polls_other_exits(home):
    paths = home
    with running_sim() as sim:
        a, b = _start(_env(sim.url)), _start(_env(sim.url))
        try:
            assert _wait(lambda: a.poll() is not None or b.poll() is not None)
            loser, winner = (a, b) if a.poll() is not None else (b, a)
            assert loser.returncode == EXIT_ALREADY_RUNNING, loser.stderr.read() if loser.stderr else ""
            assert winner.poll() is None
            assert _wait(lambda: _cache_pid(paths) == winner.pid)  # the winner polls and writes
            evs = events(paths, "uw_flow_daemon_already_running")
            assert len(evs) == 1 and evs[0]["subsystem"] == "uw_poll"
            assert evs[0]["pid"] == loser.pid and evs[0]["details"]["holder"]["pid"] == winner.pid
            holder = orjson.loads(paths.uw_daemon_lock.read_bytes())
            assert holder["pid"] == winner.pid and holder["host"] and holder["started_at"]
        finally:
            _stop(a, b)


def test_kill_9_then_new_daemon_takes_over_at_once_and_sigterm_exits_0(home):
    paths = home
    with running_sim() as sim:
        first = _start(_env(sim.url))
        try:
            assert _wait(lambda: _cache_pid(paths) == first.pid)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            assert paths.uw_daemon_lock.exists()  # the file stays; the kernel dropped the flock
            second = _start(_env(sim.url))
            assert _wait(lambda: _cache_pid(paths) == second.pid), second.stderr
            assert second.poll() is None
            assert events(paths, "uw_flow_daemon_already_running") == []
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=15) == 0
            cache = orjson.loads(paths.uw_flow_cache.read_bytes())  # final write completed
            assert cache["_meta"]["daemon_pid"] == second.pid
        finally:
            _stop(first)
            if "second" in locals():
                _stop(second)


def test_reader_in_tight_loop_never_sees_a_partial_cache(home):
    paths = home
    with running_sim() as sim:
        daemon = _start(_env(sim.url, STOCKBOT_UW_CYCLE_S="0.01", STOCKBOT_UW_DEFAULT_CORE="SPY,QQQ,AAPL,MSFT,NVDA"))
        seen: set[float] = set()
        torn: list[bytes] = []
        reads = 0
        stop = threading.Event()
        try:
            assert _wait(lambda: paths.uw_flow_cache.exists())
            end = time.time() + 20
            while time.time() < end and len(seen) < 40:
                raw = paths.uw_flow_cache.read_bytes()
                reads += 1
                try:
                    seen.add(orjson.loads(raw)["_meta"]["written_at"])
                except (orjson.JSONDecodeError, KeyError):
                    torn.append(raw[:200])
        finally:
            stop.set()
            _stop(daemon)
    assert torn == []
    assert len(seen) >= 40, (len(seen), reads)  # many distinct writes happened under the reader
