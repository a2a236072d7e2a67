"""The one structured event emitter: `logs/system_events.jsonl`.

`emit` never raises (contract 5.3: logging must not crash the engine) and never writes a
secret: values of configured secrets and fields whose names look secret are redacted.
The file rotates by size; rotation happens under the same lock as appends, so no line is lost.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from src.core.paths import Paths

Severity = Literal["debug", "info", "warning", "error", "critical"]
SECRET_ENV_NAMES = (
    "UW_API_KEY",
    "ALPACA_API_KEY",
    "ALPACA_SECRET_KEY",
    "STOCKBOT_UW_API_KEY",
    "STOCKBOT_ALPACA_API_KEY",
    "STOCKBOT_ALPACA_SECRET_KEY",
    "RQ_DASHBOARD_PASSWORD",
    "STOCKBOT_SYNC_SSH_KEY",
)
_SECRET_KEY_RE = re.compile(r"(api[_-]?key|secret|token|password|authorization|bearer)", re.I)
REDACTED = "***REDACTED***"
DEFAULT_MAX_BYTES = 20_000_000
DEFAULT_BACKUPS = 5


def secret_values() -> list[str]:
    vals = [os.environ.get(n, "") for n in SECRET_ENV_NAMES]
    return [v for v in vals if len(v) >= 4]


def redact(obj: Any, secrets: list[str] | None = None) -> Any:
    """Copy of obj with secret-looking keys and known secret values masked."""
    secrets = secret_values() if secrets is None else secrets
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(k, str) and _SECRET_KEY_RE.search(k) and v not in (None, "", 0):
                out[k] = REDACTED
            else:
                out[k] = redact(v, secrets)
        return out
    if isinstance(obj, (list, tuple)):
        return [redact(v, secrets) for v in obj]
    if isinstance(obj, str):
        for s in secrets:
            if s in obj:
                obj = obj.replace(s, REDACTED)
        return obj
    if isinstance(obj, (int, float, bool)) or obj is None:
        return obj
    return redact(str(obj), secrets)


def utc_iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat(timespec="milliseconds")


def _rotate_locked(path: Path, max_bytes: int, backups: int) -> None:
    try:
        if path.stat().st_size < max_bytes:
            return
    except OSError:
        return
    for i in range(backups - 1, 0, -1):
        src = path.with_name(f"{path.name}.{i}")
        if src.exists():
            os.replace(src, path.with_name(f"{path.name}.{i + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))


def emit(
    subsystem: str,
    event_type: str,
    severity: Severity = "error",
    *,
    paths: Paths | None = None,
    **details: Any,
) -> dict[str, Any] | None:
    """Append one event; return the record written (None if even the fallback failed)."""
    try:
        record = {
            "ts": utc_iso(),
            "subsystem": subsystem,
            "event_type": event_type,
            "severity": severity,
            "pid": os.getpid(),
            "details": redact(details),
        }
        line = orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"
        path = (paths or Paths.from_env()).system_events
        path.parent.mkdir(parents=True, exist_ok=True)
        max_bytes = int(os.environ.get("STOCKBOT_EVENTS_MAX_BYTES") or DEFAULT_MAX_BYTES)
        backups = int(os.environ.get("STOCKBOT_EVENTS_BACKUPS") or DEFAULT_BACKUPS)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                # the descriptor may point at a file another process just rotated away:
                # reopen the current one so the line lands in the live file
                if os.fstat(fd).st_ino != _inode(path):
                    os.close(fd)
                    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                _rotate_locked(path, max_bytes, backups)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return record
    except Exception as exc:  # noqa: BLE001 - the emitter is the last line of defence
        try:
            sys.stderr.write(f"stockbot: event emit failed ({type(exc).__name__}): {subsystem}/{event_type}\n")
        except Exception:  # noqa: BLE001
            return None
        return None


def _inode(path: Path) -> int:
    try:
        return path.stat().st_ino
    except OSError:
        return -1
