"""The droplet runner (contract 4.7, 4.19): lifecycle jobs in contract order, then state sync.

Order: universe -> premarket intel -> postmarket intel (4.6) -> telemetry bundle -> regression
gate (4.8, 4.20.8, which checks that bundle) -> optional post-close pack. A failed regression
stops every later job; the day's artifacts are still fetched so the operator can see why.
Every step appends one line to droplet_sync/<day>/sync_log.jsonl; nothing here raises into, or
touches, the v1 engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from src.core.events import emit, utc_iso
from src.core.jsonio import append_jsonl
from src.core.paths import Paths
from src.telemetry.sync import StepOutcome, Transport

LIFECYCLE: tuple[str, ...] = (
    "build_daily_universe",
    "premarket_intel",
    "postmarket_intel",
    "full_telemetry_extract",
    "regression_checks",
)
REGRESSION = "regression_checks"
PACK = "postclose_analysis_pack"
SYNC_LOG = "sync_log.jsonl"


@dataclass
class DropletResult:
    day: str
    ok: bool = True
    stopped_at: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        failed = [s["step"] for s in self.steps if not s["ok"]]
        msg = f"droplet run {self.day}: {len(self.steps)} step(s), {len(failed)} failed"
        if self.stopped_at:
            msg += f"; stopped after failed {self.stopped_at}"
        if failed:
            msg += f" ({', '.join(failed)})"
        return {"ok": self.ok, "message": msg, "day": self.day, "stopped_at": self.stopped_at, "steps": self.steps,
                "artifacts": []}


def fetch_plan(day: str, with_pack: bool) -> list[tuple[str, str]]:
    """(remote path under the droplet's runtime root, local path under droplet_sync/<day>/)."""
    plan = [("state", "state"), (f"telemetry/{day}", f"telemetry/{day}"), ("reports", "reports")]
    if with_pack:
        plan.append((f"analysis_packs/{day}", f"analysis_packs/{day}"))
    return plan


class _Log:
    def __init__(self, paths: Paths, day: str, transport: str) -> None:
        self.path = paths.droplet_sync_day(day) / SYNC_LOG
        self.day, self.transport, self.paths = day, transport, paths

    def write(self, step: str, kind: str, out: StepOutcome) -> dict[str, Any]:
        line = {"ts": utc_iso(), "day": self.day, "step": step, "kind": kind, "ok": out.ok, "detail": out.detail,
                "duration_s": out.duration_s, "transport": self.transport}
        try:
            append_jsonl(self.path, line)
        except OSError as exc:
            emit("droplet_sync", "sync_log_write_failed", "error", paths=self.paths, file=str(self.path), error=repr(exc))
        if not out.ok:
            emit("droplet_sync", "droplet_step_failed", "error", paths=self.paths, day=self.day, step=step, kind=kind,
                 detail=out.detail[:500])
        return line


def run_droplet(day: str, paths: Paths, transport: Transport, *, postclose_pack: bool = False,
                options: dict[str, Any] | None = None) -> DropletResult:
    res = DropletResult(day)
    log = _Log(paths, day, transport.name)
    jobs = LIFECYCLE + ((PACK,) if postclose_pack else ())
    pack_built = False
    for job in jobs:
        out = transport.run_job(job, day, dict((options or {}).get(job) or {}))
        res.steps.append(log.write(job, "run", out))
        if not out.ok:
            res.ok = False
            if job == REGRESSION:
                res.stopped_at = job
                break
        elif job == PACK:
            pack_built = True
    sync_root = paths.droplet_sync_day(day)
    for remote, local in fetch_plan(day, pack_built):
        out = transport.fetch(remote, sync_root / local)
        res.steps.append(log.write(f"fetch:{remote}", "fetch", out))
        if not out.ok:
            res.ok = False
    return res
