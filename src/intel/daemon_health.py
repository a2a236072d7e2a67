"""UW flow daemon health sentinel (contract 4.16).

Checks, each ok|warning|critical with its evidence: the daemon's main PID (systemd's
ExecMainPID where systemd runs, else the PID recorded in the lock file) alive in /proc; the
lock file present, held (probed with a non-blocking flock on our own descriptor, released at
once) and naming the same PID; cache freshness from FlowCache._meta.written_at; crash-loop
risk from restart counters (systemd NRestarts, else PID changes seen across checks); spikes
of uw_rate_limit_block / uw_invalid_endpoint_attempt events. Read-only towards trading; the
only action it can take is a restart of the daemon, and only when explicitly enabled.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from datetime import datetime
from typing import Any

import orjson

from src.core.events import emit
from src.core.jsonio import tail_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.core.state import inspect_state, save_state
from src.intel.models import DaemonCheck, DaemonHealthState
from src.intel.values import iso, job_now, parse_ts

UNIT = "uw-flow-daemon.service"
COMPOSE_SERVICE = "uw-daemon"
SUBSYSTEM = "uw_daemon_health"
SPIKE_EVENTS = ("uw_rate_limit_block", "uw_invalid_endpoint_attempt")
DEFAULTS: dict[str, float] = {
    "cache_warn_s": 300.0,
    "cache_critical_s": 900.0,
    "spike_window_min": 15.0,
    "rate_limit_warn": 10,
    "rate_limit_critical": 30,
    "invalid_endpoint_warn": 1,
    "invalid_endpoint_critical": 5,
    "restarts_warn": 3,
    "restarts_critical": 5,
    "restart_window_s": 3600.0,
}
RANK = {"ok": 0, "unknown": 1, "warning": 1, "critical": 2}


def systemd_available() -> bool:
    return shutil.which("systemctl") is not None and os.path.isdir("/run/systemd/system")


def systemd_show(unit: str = UNIT) -> dict[str, str] | None:
    """ExecMainPID / NRestarts / ActiveState of the unit, or None where systemd does not run."""
    if not systemd_available():
        return None
    try:
        out = subprocess.run(
            ["systemctl", "show", unit, "-p", "ExecMainPID", "-p", "NRestarts", "-p", "ActiveState"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def pid_alive(pid: int | None) -> bool:
    """Alive and not a zombie, per /proc (works for processes of any user)."""
    if not pid or pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[:1]
    return state != ["Z"] and state != ["X"]


def read_lock_info(path: os.PathLike[str] | str) -> dict[str, Any]:
    """The lock file's content as a dict, from JSON, key=value lines or a bare PID."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(4096).decode(errors="replace").strip()
    except OSError:
        return {}
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
        if isinstance(data, dict):
            return data
        if isinstance(data, int):
            return {"pid": data}
    except orjson.JSONDecodeError:
        pass
    out: dict[str, Any] = {}
    for line in raw.replace(";", "\n").splitlines():
        if "=" in line or ":" in line:
            k, _, v = line.partition("=") if "=" in line else line.partition(":")
            out[k.strip().lower()] = v.strip()
        elif line.strip().isdigit() and "pid" not in out:
            out["pid"] = line.strip()
    return out


def lock_held(path: os.PathLike[str] | str) -> bool | None:
    """True if someone holds the flock, False if free, None if the file is absent/unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _int(v: Any) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def check_process(systemd: dict[str, str] | None, lock_pid: int | None) -> DaemonCheck:
    if systemd is not None:
        pid = _int(systemd.get("ExecMainPID"))
        data = {"source": "systemd", "exec_main_pid": pid, "active_state": systemd.get("ActiveState")}
        if not pid:
            return DaemonCheck(status="critical", detail=f"{UNIT} has no main PID", data=data)
    else:
        pid = lock_pid
        data = {"source": "lock_file", "pid": pid}
        if not pid:
            return DaemonCheck(status="critical", detail="no systemd and no PID in the lock file", data=data)
    alive = pid_alive(pid)
    data["alive"] = alive
    return DaemonCheck(
        status="ok" if alive else "critical",
        detail=f"pid {pid} {'alive' if alive else 'not running'} (/proc)",
        data=data,
    )


def check_lock(path: os.PathLike[str] | str, info: dict[str, Any], main_pid: int | None) -> DaemonCheck:
    held = lock_held(path)
    lock_pid = _int(info.get("pid"))
    data = {
        "path": os.fspath(path),
        "exists": os.path.exists(path),
        "held": held,
        "pid": lock_pid,
        "host": info.get("host"),
        "started_at": info.get("started_at") or info.get("start"),
    }
    if held is None:
        return DaemonCheck(status="critical", detail="lock file missing or unreadable", data=data)
    if not held:
        return DaemonCheck(status="critical", detail="lock file exists but nobody holds it", data=data)
    if main_pid and lock_pid and main_pid != lock_pid:
        data["main_pid"] = main_pid
        return DaemonCheck(status="warning", detail=f"lock names pid {lock_pid}, main pid is {main_pid}", data=data)
    return DaemonCheck(status="ok", detail=f"held by pid {lock_pid}", data=data)


def check_cache(paths: Paths, now: datetime, warn_s: float, crit_s: float) -> DaemonCheck:
    from src.uw.flow_cache import FlowCache

    res = inspect_state(paths.uw_flow_cache, FlowCache)
    if res.value is None:
        return DaemonCheck(status="critical", detail=f"cache {res.status.value}", data={"error": res.error[:200]})
    meta = res.value.meta
    age = res.value.age_seconds(now.timestamp())
    data = {
        "written_at": meta.written_at,
        "age_s": None if age is None else round(age, 1),
        "poll_cycle": meta.poll_cycle,
        "daemon_pid": meta.daemon_pid,
        "budget_left": meta.budget_left,
        "endpoints_failed": list(meta.endpoints_failed)[:20],
    }
    if age is None:
        return DaemonCheck(status="critical", detail="cache never written by the daemon", data=data)
    status = "critical" if age > crit_s else "warning" if age > warn_s else "ok"
    return DaemonCheck(status=status, detail=f"cache age {age:.0f}s", data=data)


def check_restarts(
    systemd: dict[str, str] | None,
    pid: int | None,
    previous: DaemonHealthState,
    now: datetime,
    warn: int,
    crit: int,
    window_s: float,
) -> tuple[DaemonCheck, dict[str, Any]]:
    """Restarts within the window: systemd's NRestarts deltas, else PID changes between checks."""
    prev = (previous.checks.get("restarts") or DaemonCheck()).data
    history = [h for h in prev.get("history", []) if isinstance(h, dict)]
    now_s = now.timestamp()
    if systemd is not None:
        n = _int(systemd.get("NRestarts")) or 0
        last = _int(prev.get("n_restarts"))
        delta = max(0, n - last) if last is not None else 0
        history += [{"t": now_s, "restarts": delta}] if delta else []
        state = {"source": "systemd", "n_restarts": n}
    else:
        last_pid = _int(prev.get("last_pid"))
        changed = bool(pid and last_pid and pid != last_pid)
        history += [{"t": now_s, "restarts": 1, "from_pid": last_pid, "to_pid": pid}] if changed else []
        state = {"source": "pid_changes", "last_pid": pid or last_pid}
    history = [h for h in history if now_s - float(h.get("t", 0)) <= window_s][-50:]
    recent = sum(int(h.get("restarts", 0)) for h in history)
    data = {**state, "history": history, "restarts_in_window": recent, "window_s": window_s}
    status = "critical" if recent >= crit else "warning" if recent >= warn else "ok"
    return DaemonCheck(status=status, detail=f"{recent} restart(s) in {window_s / 60:.0f} min", data=data), data


def count_spikes(paths: Paths, now: datetime, window_min: float) -> dict[str, int]:
    """Spike events in the window, from the tail of system_events.jsonl (bounded read)."""
    counts = dict.fromkeys(SPIKE_EVENTS, 0)
    horizon = now.timestamp() - window_min * 60.0
    for ev in tail_jsonl(paths.system_events, 20000, max_bytes=8_000_000):
        et = ev.get("event_type")
        if et in counts:
            ts = parse_ts(ev.get("ts"))
            if ts is not None and horizon <= ts.timestamp() <= now.timestamp() + 60:
                counts[et] += 1
    return counts


def check_spikes(counts: dict[str, int], o: dict[str, float], window_min: float) -> DaemonCheck:
    rl, inv = counts["uw_rate_limit_block"], counts["uw_invalid_endpoint_attempt"]
    status = "ok"
    if rl >= o["rate_limit_warn"] or inv >= o["invalid_endpoint_warn"]:
        status = "warning"
    if rl >= o["rate_limit_critical"] or inv >= o["invalid_endpoint_critical"]:
        status = "critical"
    return DaemonCheck(
        status=status,
        detail=f"last {window_min:.0f} min: {rl} rate-limit blocks, {inv} invalid endpoint attempts",
        data={**counts, "window_min": window_min},
    )


def restart_daemon(paths: Paths, use_systemd: bool) -> dict[str, Any]:
    """systemctl restart where systemd runs the daemon, else `docker compose restart`; never raises."""
    if use_systemd:
        cmd = ["systemctl", "restart", UNIT]
    elif shutil.which("docker"):
        cmd = ["docker", "compose", "-f", str(REPO_ROOT / "compose.yaml"), "restart", COMPOSE_SERVICE]
    else:
        cmd = []
    emit(SUBSYSTEM, "uw_daemon_self_heal_attempt", "warning", paths=paths, command=" ".join(cmd) or None)
    if not cmd:
        result = {"attempted": False, "ok": False, "error": "neither systemctl (with systemd) nor docker available"}
    else:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            result = {
                "attempted": True,
                "ok": out.returncode == 0,
                "command": " ".join(cmd),
                "returncode": out.returncode,
                "stderr": out.stderr.strip()[-300:],
            }
        except (OSError, subprocess.SubprocessError) as exc:
            result = {"attempted": True, "ok": False, "command": " ".join(cmd), "error": repr(exc)[:300]}
    emit(
        SUBSYSTEM,
        "uw_daemon_self_heal_succeeded" if result["ok"] else "uw_daemon_self_heal_failed",
        "info" if result["ok"] else "error",
        paths=paths,
        **result,
    )
    return result


def evaluate(paths: Paths, now: datetime, options: dict[str, Any]) -> DaemonHealthState:
    """options: thresholds (DEFAULTS keys) and process_source auto|systemd|lock_file."""
    o = {k: float(options.get(k, v)) for k, v in DEFAULTS.items()}
    previous = inspect_state(paths.uw_daemon_health_state, DaemonHealthState).value or DaemonHealthState()
    source = str(options.get("process_source") or "auto")
    systemd = None if source == "lock_file" else systemd_show()
    if source == "systemd" and systemd is None:
        systemd = {}  # demanded but absent: the process check reports no main PID
    info = read_lock_info(paths.uw_daemon_lock)
    lock_pid = _int(info.get("pid"))
    checks: dict[str, DaemonCheck] = {"process": check_process(systemd, lock_pid)}
    main_pid = _int(checks["process"].data.get("exec_main_pid")) if systemd else None
    checks["lock"] = check_lock(paths.uw_daemon_lock, info, main_pid)
    checks["cache"] = check_cache(paths, now, o["cache_warn_s"], o["cache_critical_s"])
    checks["restarts"], _ = check_restarts(
        systemd,
        main_pid or lock_pid,
        previous,
        now,
        int(o["restarts_warn"]),
        int(o["restarts_critical"]),
        o["restart_window_s"],
    )
    checks["event_spikes"] = check_spikes(count_spikes(paths, now, o["spike_window_min"]), o, o["spike_window_min"])
    status = max((c.status for c in checks.values()), key=lambda s: RANK.get(s, 1))
    reasons = [f"{n}: {c.detail}" for n, c in checks.items() if c.status != "ok"]
    return DaemonHealthState(
        generated_at=iso(now),
        status=status,
        checks=checks,
        reasons=reasons,
        process_source="systemd" if systemd is not None else "lock_file",
    )


def run_daemon_health_check(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body: state/uw_daemon_health_state.json + one uw_daemon_health_<status> event."""
    started = time.monotonic()
    try:
        paths.ensure()
        state = evaluate(paths, job_now(options), options)
        if state.status == "critical" and options.get("self_heal"):
            state.self_heal = restart_daemon(paths, (state.model_extra or {}).get("process_source") == "systemd")
        save_state(paths.uw_daemon_health_state, state)
    except Exception as exc:  # noqa: BLE001 - the sentinel reports, it never raises
        emit(SUBSYSTEM, "uw_daemon_health_check_failed", "error", paths=paths, error=repr(exc)[:500])
        return {"ok": False, "message": f"daemon health check failed: {exc!r}"[:500], "artifacts": []}
    level = state.status if state.status in ("ok", "warning", "critical") else "warning"
    emit(
        SUBSYSTEM,
        f"uw_daemon_health_{level}",
        {"ok": "info", "warning": "warning", "critical": "critical"}[level],
        paths=paths,
        status=state.status,
        reasons=state.reasons,
    )
    return {
        "ok": True,
        "message": f"uw daemon {state.status}" + (f": {'; '.join(state.reasons)}" if state.reasons else ""),
        "artifacts": [str(paths.uw_daemon_health_state)],
        "status": state.status,
        "elapsed_s": round(time.monotonic() - started, 3),
    }
