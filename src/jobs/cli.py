"""The one command line behind every contract script (`scripts/run_*.py`).

A script is `sys.exit(run_cli("job_name", add_arguments=...))`. By default the job runs here,
in-process; `--enqueue` puts it on its RQ queue instead (refused if it already exists for that
date). Exit codes: 0 ok / enqueued, 1 the job failed (ok=False or an exception; a body may pick
another code with an integer `exit_code` in its result), 2 bad configuration or Redis
unreachable, 3 enqueue refused because the job already exists for that date.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from src.core.clock import clock_from_env, trading_day
from src.core.errors import ConfigError
from src.core.events import emit
from src.core.paths import Paths
from src.core.settings import load_settings
from src.jobs.registry import get_spec

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_REFUSED = 0, 1, 2, 3
COMMON = ("date", "enqueue", "json", "force")


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def build_parser(job_name: str, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None):
    spec = get_spec(job_name)
    p = argparse.ArgumentParser(
        prog=spec.script,
        description=f"Run the {job_name} job (queue {spec.queue}) in-process, or put it on its queue with --enqueue.",
    )
    p.add_argument("--date", type=_day, default=None, help="trading date YYYY-MM-DD (default: today in New York)")
    p.add_argument("--enqueue", action="store_true", help="put the job on its RQ queue instead of running it here")
    p.add_argument("--force", action="store_true", help="with --enqueue: re-run a finished or failed job of that date")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--skip-regression", action="store_true", help="skip the regression gate (regression harness)")
    p.add_argument("--self-heal", action="store_true", help="allow best-effort self-heal actions")
    if add_arguments is not None:
        add_arguments(p)
    return p


def _print(obj: dict[str, Any], as_json: bool, line: str) -> None:
    print(json.dumps(obj, sort_keys=True, default=str) if as_json else line, flush=True)


def _enqueue(job_name: str, day: str, options: dict[str, Any], *, force: bool, as_json: bool) -> int:
    import redis

    from src.jobs.connection import fail_fast
    from src.jobs.enqueue import enqueue_job, settings_or_default

    settings = settings_or_default()
    try:
        outcome = enqueue_job(
            job_name, day, options, connection=fail_fast(settings.redis_url), settings=settings, force=force
        )
    except redis.RedisError as exc:
        print(f"{job_name}: cannot enqueue, Redis unreachable ({type(exc).__name__})", file=sys.stderr)
        return EXIT_CONFIG
    verdict = "enqueued on" if outcome.enqueued else f"NOT enqueued ({outcome.reason}) on"
    _print(outcome.model_dump(), as_json, f"{job_name} {day}: {verdict} queue {outcome.queue} as {outcome.job_id}")
    return EXIT_OK if outcome.enqueued else EXIT_REFUSED


def _run_here(job_name: str, day: str, options: dict[str, Any], *, as_json: bool) -> int:
    from src.jobs.runner import run_body

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    paths = Paths.from_env()
    try:
        result = run_body(job_name, day, options, paths=paths, settings=settings)
    except Exception as exc:  # noqa: BLE001 - a crashing body becomes one event and exit 1
        emit("jobs", "job_failed", "error", paths=paths, job=job_name, day=day, via="in_process",
             error_type=type(exc).__name__, error=str(exc)[:500])  # fmt: skip
        _print(
            {"ok": False, "job": job_name, "day": day, "message": f"{type(exc).__name__}: {exc}"},
            as_json,
            f"{job_name} {day}: FAILED ({type(exc).__name__}: {exc})",
        )
        return EXIT_FAILED
    if not result.ok:
        emit("jobs", "job_failed", "error", paths=paths, job=job_name, day=day, via="in_process",
             error=result.message[:500])  # fmt: skip
    tag = " (not implemented yet)" if result.placeholder else ""
    state = "ok" if result.ok else "FAILED"
    arts = f" artifacts: {', '.join(result.artifacts)}" if result.artifacts else ""
    _print(result.model_dump(), as_json, f"{job_name} {day}: {state}{tag} - {result.message}{arts}")
    code = (result.model_extra or {}).get("exit_code")
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    return EXIT_OK if result.ok else EXIT_FAILED


def run_cli(
    job_name: str,
    argv: Sequence[str] | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    args = build_parser(job_name, add_arguments).parse_args(argv)
    day = args.date or trading_day(clock_from_env().now())
    options = {k: v for k, v in vars(args).items() if k not in COMMON}
    if args.enqueue:
        return _enqueue(job_name, day, options, force=args.force, as_json=args.json)
    return _run_here(job_name, day, options, as_json=args.json)
