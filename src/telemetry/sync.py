"""Droplet transports: run one lifecycle job there, fetch one path back. Neither ever raises.

`LocalTransport` treats a runtime root on this host as the droplet (tests, single-host
installs) and runs the job bodies in-process. `SshTransport` runs the contract scripts over the
system `ssh` and fetches with the system `rsync`, with host, user and key path from settings.
"""

from __future__ import annotations

import importlib
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from src.core.paths import Paths

# used only when src.jobs is not importable (the job plane is optional for a droplet run)
FALLBACK_BODIES = {
    "build_daily_universe": "src.intel.universe:run_build_universe",
    "premarket_intel": "src.intel.prepost:run_premarket_intel",
    "postmarket_intel": "src.intel.prepost:run_postmarket_intel",
    "full_telemetry_extract": "src.telemetry.bundle:run_full_telemetry_extract",
    "regression_checks": "src.telemetry.regression:run_regression_checks",
    "postclose_analysis_pack": "src.telemetry.analysis_pack:run_postclose_analysis_pack",
}
FALLBACK_SCRIPTS = {
    "build_daily_universe": "scripts/build_daily_universe.py",
    "premarket_intel": "scripts/run_premarket_intel.py",
    "postmarket_intel": "scripts/run_postmarket_intel.py",
    "full_telemetry_extract": "scripts/run_full_telemetry_extract.py",
    "regression_checks": "scripts/run_regression_checks.py",
    "postclose_analysis_pack": "scripts/run_postclose_analysis_pack.py",
}


@dataclass
class StepOutcome:
    ok: bool
    detail: str
    duration_s: float = 0.0
    data: dict[str, Any] | None = None


class Transport(Protocol):
    name: str

    def run_job(self, job: str, day: str, options: dict[str, Any]) -> StepOutcome: ...

    def fetch(self, remote_rel: str, dest: Path) -> StepOutcome: ...


def _timed(fn, *args: Any) -> StepOutcome:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    try:
        out = fn(*args)
    except Exception as exc:  # noqa: BLE001 - contract 4.7: a sync failure is logged, never raised
        out = StepOutcome(False, f"{type(exc).__name__}: {exc}"[:500])
    out.duration_s = round(time.monotonic() - started, 3)
    return out


def script_for(job: str) -> str:
    try:
        from src.jobs.registry import get_spec

        return get_spec(job).script
    except Exception:  # noqa: BLE001 - registry absent or job unknown there
        return FALLBACK_SCRIPTS[job]


class LocalTransport:
    name = "local"

    def __init__(self, droplet: Paths, settings: Any) -> None:
        self.droplet = droplet
        self.settings = settings

    def _run(self, job: str, day: str, options: dict[str, Any]) -> StepOutcome:
        try:
            from src.jobs.runner import run_body
        except ImportError:
            run_body = None
        if run_body is not None:
            res = run_body(job, day, options, paths=self.droplet, settings=self.settings).model_dump()
        else:
            module, _, func = FALLBACK_BODIES[job].partition(":")
            res = getattr(importlib.import_module(module), func)(day, self.droplet.ensure(), self.settings, options)
        return StepOutcome(bool(res.get("ok")), str(res.get("message", ""))[:2000], data=res)

    def run_job(self, job: str, day: str, options: dict[str, Any]) -> StepOutcome:
        return _timed(self._run, job, day, options)

    def _fetch(self, remote_rel: str, dest: Path) -> StepOutcome:
        src = self.droplet.root / remote_rel
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True)
        elif src.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        else:
            return StepOutcome(False, f"not on the droplet: {remote_rel}")
        return StepOutcome(True, f"{remote_rel} -> {dest}")

    def fetch(self, remote_rel: str, dest: Path) -> StepOutcome:
        return _timed(self._fetch, remote_rel, dest)


class SshTransport:
    name = "ssh"

    def __init__(self, host: str, user: str, key_path: str, remote_repo: str, remote_home: str,
                 timeout_s: float = 1800.0, python: str = ".venv/bin/python") -> None:
        self.host, self.user, self.key_path = host, user, key_path
        self.remote_repo, self.remote_home, self.timeout_s, self.python = remote_repo, remote_home, timeout_s, python

    @classmethod
    def from_settings(cls, settings: Any) -> SshTransport:
        return cls(settings.sync_host, settings.sync_user, settings.sync_ssh_key, settings.sync_remote_repo,
                   settings.sync_remote_home, settings.sync_timeout_s)

    def _ssh_opts(self) -> list[str]:
        opts = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=15"]
        return (["-i", self.key_path] if self.key_path else []) + opts

    @property
    def target(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def job_command(self, job: str, day: str) -> list[str]:
        remote = (f"cd {shlex.quote(self.remote_repo)} && STOCKBOT_HOME={shlex.quote(self.remote_home)} "
                  f"{shlex.quote(self.python)} {shlex.quote(script_for(job))} --date {shlex.quote(day)} --json")
        return ["ssh", *self._ssh_opts(), self.target, remote]

    def fetch_command(self, remote_rel: str, dest: Path) -> list[str]:
        src = f"{self.target}:{self.remote_home.rstrip('/')}/{remote_rel.strip('/')}"
        is_dir = not remote_rel.endswith((".json", ".jsonl", ".md", ".png"))
        ssh = " ".join(shlex.quote(x) for x in ["ssh", *self._ssh_opts()])
        return ["rsync", "-az", "-e", ssh, src + ("/" if is_dir else ""), str(dest) + ("/" if is_dir else "")]

    def _call(self, cmd: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s, check=False)

    def _run(self, job: str, day: str, options: dict[str, Any]) -> StepOutcome:
        if not self.host:
            return StepOutcome(False, "STOCKBOT_SYNC_HOST is not set")
        proc = self._call(self.job_command(job, day))
        data = None
        for line in reversed(proc.stdout.strip().splitlines()):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                data = obj
                break
        ok = proc.returncode == 0 and (data is None or bool(data.get("ok", True)))
        detail = str((data or {}).get("message") or proc.stderr.strip()[-500:] or f"exit {proc.returncode}")
        return StepOutcome(ok, detail[:2000], data=data)

    def run_job(self, job: str, day: str, options: dict[str, Any]) -> StepOutcome:
        return _timed(self._run, job, day, options)

    def _fetch(self, remote_rel: str, dest: Path) -> StepOutcome:
        if not self.host:
            return StepOutcome(False, "STOCKBOT_SYNC_HOST is not set")
        dest.parent.mkdir(parents=True, exist_ok=True)
        proc = self._call(self.fetch_command(remote_rel, dest))
        if proc.returncode != 0:
            return StepOutcome(False, f"rsync exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return StepOutcome(True, f"{remote_rel} -> {dest}")

    def fetch(self, remote_rel: str, dest: Path) -> StepOutcome:
        return _timed(self._fetch, remote_rel, dest)


def transport_from_settings(settings: Any, paths: Paths) -> Transport:
    if getattr(settings, "sync_transport", "local") == "ssh":
        return SshTransport.from_settings(settings)
    root = getattr(settings, "sync_local_root", None)
    return LocalTransport(Paths(Path(root)) if root else paths, settings)
