"""Running one job body, in-process (the scripts) or inside an RQ work horse (`perform`).

Both paths call the same `run_body`, so a job behaves the same whether an operator runs the
script by hand or the scheduler puts it on a queue. Under RQ a result with ok=False raises
`JobFailed`, which makes RQ record the failure, apply the retry policy and, on the last
attempt, run the failure callback that emits `job_failed`.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from src.core.paths import Paths
from src.core.settings import Settings, load_settings
from src.jobs.registry import body_path, get_spec, placeholder_result, resolve_body


class JobResult(BaseModel):
    """What every body returns (extra keys are kept and shown in rq-dashboard)."""

    model_config = ConfigDict(extra="allow")

    ok: bool = False
    message: str = ""
    artifacts: list[str] = Field(default_factory=list)
    placeholder: bool = False


class JobFailed(RuntimeError):
    """Raised under RQ when a body reports ok=False, so RQ retries and records it as failed."""


def _coerce(name: str, raw: Any) -> JobResult:
    if not isinstance(raw, dict):
        return JobResult(ok=False, message=f"{name}: body returned {type(raw).__name__}, expected a dict")
    try:
        return JobResult.model_validate(raw)
    except ValidationError as exc:
        return JobResult(ok=False, message=f"{name}: body returned an invalid result: {exc.errors()[:3]}")


def run_body(
    name: str,
    day: str,
    options: dict[str, Any] | None = None,
    *,
    paths: Paths | None = None,
    settings: Settings | None = None,
) -> JobResult:
    """Resolve and call the body; exceptions from the body propagate to the caller."""
    get_spec(name)
    settings = settings or load_settings()
    paths = (paths or Paths.from_env()).ensure()
    started = time.monotonic()
    body = resolve_body(body_path(name, settings.job_overrides))
    if body is None:
        result = JobResult.model_validate(placeholder_result(name, day))
    else:
        result = _coerce(name, body(day, paths, settings, dict(options or {})))
    data = {"job": name, "day": day, **result.model_dump(), "duration_s": round(time.monotonic() - started, 3)}
    return JobResult.model_validate(data)


def perform(name: str, day: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The RQ entry point (`src.jobs.runner.perform`): the result dict, or JobFailed."""
    result = run_body(name, day, options)
    if not result.ok:
        raise JobFailed(result.message or f"{name} reported ok=False for {day}")
    return result.model_dump()
