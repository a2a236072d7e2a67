"""Job bodies for the job-plane tests, wired in via STOCKBOT_JOB_OVERRIDES ("module:function")."""

from __future__ import annotations

import os
from typing import Any

from src.core.jsonio import append_jsonl, atomic_write_json
from src.core.paths import Paths
from src.core.settings import Settings


def _record_run(paths: Paths, name: str, day: str, options: dict[str, Any]) -> None:
    append_jsonl(
        paths.state / "test_job_runs.jsonl", {"body": name, "day": day, "pid": os.getpid(), "options": options}
    )


def write_artifact(day: str, paths: Paths, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    _record_run(paths, "write_artifact", day, options)
    out = paths.reports / f"TEST_JOB_{day}.json"
    atomic_write_json(out, {"day": day, "options": options, "pid": os.getpid()})
    return {"ok": True, "message": f"wrote {out.name}", "artifacts": [str(out)]}


def always_fail(day: str, paths: Paths, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    _record_run(paths, "always_fail", day, options)
    raise RuntimeError(f"boom on {day}")


def not_ok(day: str, paths: Paths, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    _record_run(paths, "not_ok", day, options)
    return {"ok": False, "message": "inputs stale", "artifacts": [], "exit_code": 2}


def bad_shape(day: str, paths: Paths, settings: Settings, options: dict[str, Any]) -> Any:
    return ["not", "a", "dict"]


def runs(paths: Paths) -> list[dict[str, Any]]:
    from src.core.jsonio import read_jsonl

    rows, _ = read_jsonl(paths.state / "test_job_runs.jsonl")
    return rows


def kill_self(day: str, paths: Paths, settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    """Dies like an OOM-killed process: no exception, no callback, just gone."""
    import signal

    _record_run(paths, "kill_self", day, options)
    os.kill(os.getpid(), signal.SIGKILL)
    return {"ok": True}
