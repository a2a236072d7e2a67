"""The job registry: each contract job's name, queue, script and body.

Bodies live in the intel, exit, shadow and telemetry packages and are imported lazily, at run
time, so the job plane works (and the schedule can be planned) before every body exists. A body
whose module or function is not there yet is a placeholder: the job still runs, does nothing and
says so. An ImportError raised from *inside* an existing body module is a real bug and is never
hidden as a placeholder.

Body signature (fixed):
    def body(day: str, paths: Paths, settings: Settings, options: dict[str, Any]) -> dict[str, Any]
returning at least {"ok": bool, "message": str, "artifacts": [str, ...]}.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from src.core.paths import Paths
from src.core.settings import Settings

INTEL = "intel"
EXIT = "exit"
TELEMETRY = "telemetry"
SCHEDULE = "schedule"  # the dispatcher's own tick; both workers listen to it first
WORK_QUEUES = (INTEL, EXIT, TELEMETRY)

Body = Callable[[str, Paths, Settings, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: str
    body: str  # "package.module:function"
    script: str  # repo-relative contract script

    @property
    def module(self) -> str:
        return self.body.split(":", 1)[0]

    @property
    def function(self) -> str:
        return self.body.split(":", 1)[1]


def _spec(name: str, queue: str, body: str, script: str) -> JobSpec:
    return JobSpec(name=name, queue=queue, body=body, script=script if "/" in script else f"scripts/{script}")


JOBS: dict[str, JobSpec] = {
    s.name: s
    for s in (
        _spec("build_daily_universe", INTEL, "src.intel.universe:run_build_universe", "build_daily_universe.py"),
        _spec("premarket_intel", INTEL, "src.intel.prepost:run_premarket_intel", "run_premarket_intel.py"),
        _spec("postmarket_intel", INTEL, "src.intel.prepost:run_postmarket_intel", "run_postmarket_intel.py"),
        _spec("regime_detector", INTEL, "src.intel.regime_detector:run_regime_detector", "run_regime_detector.py"),
        _spec(
            "premarket_exit_intel",
            EXIT,
            "src.exit.exit_intel_jobs:run_premarket_exit_intel",
            "run_premarket_exit_intel.py",
        ),
        _spec(
            "postmarket_exit_intel",
            EXIT,
            "src.exit.exit_intel_jobs:run_postmarket_exit_intel",
            "run_postmarket_exit_intel.py",
        ),
        _spec("intel_health_checks", INTEL, "src.intel.health:run_intel_health_checks", "run_intel_health_checks.py"),
        _spec(
            "daemon_health_check",
            INTEL,
            "src.intel.daemon_health:run_daemon_health_check",
            "run_daemon_health_check.py",
        ),
        _spec("intel_pnl", TELEMETRY, "src.intel.pnl:run_intel_pnl", "run_intel_pnl.py"),
        _spec("exit_intel_pnl", EXIT, "src.exit.exit_intel_jobs:run_exit_intel_pnl", "run_exit_intel_pnl.py"),
        _spec("exit_day_summary", EXIT, "src.exit.exit_intel_jobs:run_exit_day_summary", "run_exit_day_summary.py"),
        _spec(
            "intel_dashboard",
            TELEMETRY,
            "src.intel.dashboard:run_intel_dashboard",
            "reports/_dashboard/intel_dashboard_generator.py",
        ),
        _spec(
            "full_telemetry_extract",
            TELEMETRY,
            "src.telemetry.bundle:run_full_telemetry_extract",
            "run_full_telemetry_extract.py",
        ),
        _spec(
            "regression_checks",
            TELEMETRY,
            "src.telemetry.regression:run_regression_checks",
            "run_regression_checks.py",
        ),
        _spec(
            "preopen_readiness",
            INTEL,
            "src.shadow.readiness:run_preopen_readiness",
            "run_preopen_readiness_check.py",
        ),
        _spec(
            "postclose_analysis_pack",
            TELEMETRY,
            "src.telemetry.analysis_pack:run_postclose_analysis_pack",
            "run_postclose_analysis_pack.py",
        ),
    )
}


class UnknownJob(KeyError):
    pass


def get_spec(name: str) -> JobSpec:
    spec = JOBS.get(name)
    if spec is None:
        raise UnknownJob(f"unknown job {name!r}; known: {', '.join(sorted(JOBS))}")
    return spec


def body_path(name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The dotted body path, after a dev/test override (settings.job_overrides)."""
    spec = get_spec(name)
    return (overrides or {}).get(name) or spec.body


def queue_name(name: str, namespace: str = "") -> str:
    return f"{namespace}{get_spec(name).queue}"


def _missing_module_is_target(exc: ModuleNotFoundError, module: str) -> bool:
    """True when the module itself (or a parent package) is absent, not something it imports."""
    missing = exc.name or ""
    return bool(missing) and (module == missing or module.startswith(missing + "."))


def resolve_body(path: str) -> Body | None:
    """Import 'module:function'; None when it does not exist yet (a placeholder job)."""
    module_name, _, func_name = path.partition(":")
    if not module_name or not func_name:
        raise ValueError(f"body path must be 'module:function', got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if _missing_module_is_target(exc, module_name):
            return None
        raise
    func = getattr(module, func_name, None)
    return func if callable(func) else None


def is_implemented(name: str, overrides: Mapping[str, str] | None = None) -> bool:
    """For the plan printout; an import error inside a body counts as implemented (and broken)."""
    try:
        return resolve_body(body_path(name, overrides)) is not None
    except Exception:  # noqa: BLE001 - a broken body is still not a placeholder
        return True


def placeholder_result(name: str, day: str) -> dict[str, Any]:
    return {
        "ok": True,
        "placeholder": True,
        "message": f"{name}: not implemented yet (placeholder, nothing done for {day})",
        "artifacts": [],
    }
