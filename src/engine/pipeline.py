"""The engine's ordered steps. The v1 strategy fills them in; each is called and guarded.

Order per cycle (original system): reconcile -> score -> exits -> entries (with
displacement) -> attribution -> shadow (v2, last, never places orders).
"""

from __future__ import annotations

from src.core.clock import Clock
from src.core.paths import Paths
from src.core.settings import Settings
from src.engine.cycle import CycleContext, Step


def _noop(ctx: CycleContext) -> None:
    """A step with nothing to do yet (the v1 strategy is wired in by its own module)."""


def build_steps(settings: Settings, paths: Paths, clock: Clock) -> tuple[list[Step], list[Step]]:
    """(startup steps, per-cycle steps)."""
    startup = [Step("reconcile", _noop)]
    cycle = [
        Step("reconcile", _noop),
        Step("score", _noop),
        Step("exits", _noop),
        Step("entries", _noop),
        Step("displacement", _noop),
        Step("attribution", _noop),
    ]
    return startup, cycle
