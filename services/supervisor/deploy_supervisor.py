"""The supervisor: the only component that starts, restarts or stops the engine (contract 1.2, 6).

It runs `python services/engine/main.py` as a child in its own session, restarts it on any
exit with capped exponential backoff (reset after a stable run), flags crash loops, and
restarts an engine whose heartbeat goes stale (a hung engine is as dead as a crashed one).
SIGTERM/SIGINT: SIGTERM to the child, wait the kill timeout, SIGKILL what is left, exit 0.
Importing this file starts nothing.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from src.core.errors import ConfigError
from src.core.events import emit
from src.core.paths import Paths
from src.core.settings import Settings, load_settings
from src.core.state import inspect_state, save_state
from src.engine.models import Heartbeat, SupervisorState

SUBSYSTEM = "supervisor"
POLL_S = 0.2


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def engine_command() -> list[str]:
    override = os.environ.get("STOCKBOT_ENGINE_CMD")
    if override:  # tests point the supervisor at a crashing or hanging engine
        return shlex.split(override)
    root = Path(__file__).resolve().parents[2]
    return [sys.executable, str(root / "services" / "engine" / "main.py")]


class Supervisor:
    def __init__(self, settings: Settings, paths: Paths, cmd: list[str] | None = None) -> None:
        self.settings = settings
        self.paths = paths
        self.cmd = cmd or engine_command()
        self.stop = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self.state = SupervisorState(pid=os.getpid(), started_at=time.time())
        self.consecutive_failures = 0
        self.restart_times: deque[float] = deque()
        self._last_save = 0.0

    def emit(self, event_type: str, severity: str = "info", **details: object) -> None:
        emit(SUBSYSTEM, event_type, severity, paths=self.paths, **details)  # type: ignore[arg-type]

    def save(self) -> None:
        self.state.updated_at = self._last_save = time.time()
        try:
            save_state(self.paths.supervisor_state, self.state)
        except OSError as exc:
            self.emit("supervisor_state_write_failed", "error", error=repr(exc))

    # -- child management ------------------------------------------------------------------
    def start_engine(self) -> None:
        self.emit("TRADING_ENGINE_STARTING", cmd=" ".join(self.cmd))
        self.child = subprocess.Popen(self.cmd, start_new_session=True, env=os.environ.copy())
        self.state.engine_pid = self.child.pid
        self.state.engine_started_at = time.time()
        self.save()
        self.emit("TRADING_ENGINE_STARTED", engine_pid=self.child.pid)

    def heartbeat_age(self) -> float | None:
        """Seconds since this child last proved it is alive; None while it is still in its grace period."""
        started = self.state.engine_started_at or time.time()
        hb = inspect_state(self.paths.heartbeat, Heartbeat).value
        last = started
        if hb is not None and hb.pid == self.state.engine_pid and hb.ts_epoch > started:
            last = hb.ts_epoch
        else:  # no heartbeat from this child yet: allow start-up grace on top of the limit
            started_grace = started + self.settings.watchdog_grace_s
            if time.time() < started_grace + self.settings.heartbeat_stale_s:
                return None
            last = started_grace
        return time.time() - last

    def terminate_child(self, reason: str) -> int | None:
        child = self.child
        if child is None or child.poll() is not None:
            return child.returncode if child else None
        try:
            os.kill(child.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            child.terminate()
        except ProcessLookupError:
            pass
        try:
            return child.wait(timeout=self.settings.kill_timeout_s)
        except subprocess.TimeoutExpired:
            self.emit("TRADING_ENGINE_KILLED", "warning", engine_pid=child.pid, reason=reason, after_s=self.settings.kill_timeout_s)
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                child.kill()
            return child.wait()

    def next_backoff(self, ran_for: float) -> float:
        s = self.settings
        if ran_for >= s.restart_stable_s:
            self.consecutive_failures = 0
        delay = min(s.restart_backoff_max_s, s.restart_backoff_initial_s * (2**self.consecutive_failures))
        self.consecutive_failures += 1
        now = time.time()
        self.restart_times.append(now)
        while self.restart_times and now - self.restart_times[0] > s.crash_loop_window_s:
            self.restart_times.popleft()
        if len(self.restart_times) >= s.crash_loop_restarts:
            self.emit(
                "TRADING_ENGINE_CRASH_LOOP",
                "critical",
                restarts_in_window=len(self.restart_times),
                window_s=s.crash_loop_window_s,
                next_backoff_s=delay,
            )
        return delay

    def watch_once(self) -> str | None:
        """One supervision tick; returns an exit description when the child is gone."""
        child = self.child
        if child is None:
            return "not started"
        code = child.poll()
        if code is not None:
            return describe_exit(code)
        age = self.heartbeat_age()
        if age is not None and age > self.settings.heartbeat_stale_s:
            self.emit(
                "TRADING_ENGINE_HEARTBEAT_STALE",
                "error",
                engine_pid=child.pid,
                heartbeat_age_s=round(age, 1),
                limit_s=self.settings.heartbeat_stale_s,
                action="restart",
            )
            code = self.terminate_child("heartbeat stale")
            return f"{describe_exit(code if code is not None else -9)} (watchdog: heartbeat stale {age:.1f}s)"
        return None

    def run(self) -> int:
        self.save()
        self.emit("supervisor_started", supervisor_pid=os.getpid(), cmd=" ".join(self.cmd))
        while not self.stop.is_set():
            try:
                self.start_engine()
            except OSError as exc:
                self.emit("TRADING_ENGINE_START_FAILED", "critical", error=repr(exc))
                self.stop.wait(self.next_backoff(0.0))
                continue
            exit_desc = None
            while not self.stop.is_set():
                try:
                    exit_desc = self.watch_once()
                except Exception as exc:  # noqa: BLE001 - contract 3.2: nothing stops the supervisor
                    self.emit("supervisor_tick_failed", "error", error=repr(exc))
                if exit_desc:
                    break
                if time.time() - self._last_save >= 5.0:
                    self.save()  # the supervisor's own liveness mark for status.py
                self.stop.wait(POLL_S)
            if self.stop.is_set():
                break
            ran_for = time.time() - (self.state.engine_started_at or time.time())
            assert self.child is not None
            self.emit(
                "TRADING_ENGINE_EXITED",
                "error",
                engine_pid=self.child.pid,
                exit=exit_desc,
                returncode=self.child.returncode,
                ran_for_s=round(ran_for, 2),
            )
            delay = self.next_backoff(ran_for)
            self.state.restarts += 1
            self.state.last_exit = exit_desc
            self.state.backoff_s = delay
            self.state.engine_pid = None
            self.save()
            self.emit("TRADING_ENGINE_RESTARTING", "warning", backoff_s=delay, restarts=self.state.restarts)
            self.stop.wait(delay)
        return self.shutdown()

    def shutdown(self) -> int:
        self.state.stopping = True
        self.save()
        code = self.terminate_child("supervisor shutdown")
        if code is not None:
            self.emit("TRADING_ENGINE_STOPPED", exit=describe_exit(code))
        self.state.engine_pid = None
        self.save()
        self.emit("supervisor_stopped", supervisor_pid=os.getpid())
        return 0


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as err:
        print(f"supervisor: {err}", file=sys.stderr)
        emit(SUBSYSTEM, "supervisor_config_invalid", "critical", error=str(err))
        return 2
    paths = Paths(settings.home.resolve()).ensure()
    sup = Supervisor(settings, paths)

    def _on_signal(signum: int, _frame: object) -> None:
        sup.stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    return sup.run()


if __name__ == "__main__":
    sys.exit(main())
