"""Contract 2: the worker loop never dies; every cycle writes heartbeat and run.jsonl."""

from __future__ import annotations

import gc
import os
import threading
import tracemalloc
from datetime import UTC, datetime

import pytest

from src.core.clock import FixedClock
from src.core.jsonio import read_jsonl
from src.core.settings import load_settings
from src.core.state import load_state
from src.engine.cycle import Engine, Step
from src.engine.models import Heartbeat
from src.engine.pipeline import build_steps

SESSION_TIME = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _engine(home, steps=None):
    settings = load_settings(home=home.root, cycle_interval_s=1)
    clock = FixedClock(SESSION_TIME)
    startup, default = build_steps(settings, home, clock)
    return Engine(settings, home, clock, default if steps is None else steps, startup)


def _boom(ctx):
    raise KeyError("boom")


def _step_names(home):
    settings = load_settings(home=home.root)
    return [s.name for s in build_steps(settings, home, FixedClock(SESSION_TIME))[1]]


def test_2_1_each_step_failure_degrades_and_next_step_runs(home, read_events):
    """2.1: an exception in any step becomes an error string, an event and `degraded`; later steps run."""
    names = _step_names(home)
    assert {"reconcile", "score", "exits", "entries", "displacement", "attribution"} <= set(names)
    for target in names:
        ran = []
        steps = [Step(n, _boom if n == target else (lambda ctx, n=n, ran=ran: ran.append(n))) for n in names]
        eng = _engine(home, steps)
        result = eng.run_once()
        assert result.engine_status == "degraded"
        assert len(result.errors) == 1 and result.errors[0].startswith(f"{target}: KeyError")
        assert ran == [n for n in names if n != target]
        failures = [e for e in read_events(home, "engine_step_failed") if e["details"]["step"] == target]
        assert len(failures) == 1
        last = read_jsonl(home.run_log)[0][-1]
        assert last["engine_status"] == "degraded" and last["errors_this_cycle"] == result.errors


def test_2_2_heartbeat_and_run_line_every_cycle(home):
    eng = _engine(home)
    for i in range(1, 4):
        eng.run_once()
        hb = load_state(home.heartbeat, Heartbeat)
        assert hb.cycle == i and hb.pid == os.getpid() and hb.engine_status in ("ok", "degraded")
    rows, _ = read_jsonl(home.run_log)
    assert [r["cycle"] for r in rows] == [1, 2, 3]
    for r in rows:
        assert r["engine_status"] in ("ok", "degraded")
        assert isinstance(r["errors_this_cycle"], list)
        assert {"ts", "duration_ms", "clusters"} <= set(r)


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.slow
def test_2_1_thousand_failing_cycles_leak_nothing(home, monkeypatch):
    """1,000 consecutive failing cycles: loop alive, no memory or file-handle growth."""
    monkeypatch.setenv("STOCKBOT_EVENTS_MAX_BYTES", "2000000")
    names = _step_names(home)
    eng = _engine(home, [Step(n, _boom) for n in names])
    for _ in range(100):  # warm up caches before measuring
        eng.run_once()
    gc.collect()
    fds = _fd_count()
    threads = threading.active_count()
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    for _ in range(1000):
        assert eng.run_once().engine_status == "degraded"
    gc.collect()
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename"))
    tracemalloc.stop()
    assert eng.cycle == 1100
    assert _fd_count() == fds
    assert threading.active_count() == threads
    assert grown < 512 * 1024, f"memory grew by {grown} bytes over 1,000 cycles"


def test_2_3_run_forever_stops_cleanly_on_signal_event(home):
    eng = _engine(home)
    stop = threading.Event()
    eng.clock.sleep = lambda s, ev=None: stop.set() if eng.cycle >= 3 else None  # type: ignore[method-assign]
    eng.run_forever(stop)
    hb = load_state(home.heartbeat, Heartbeat)
    assert eng.cycle == 3 and hb.running is False and hb.cycle == 3
