"""The v1 step functions the engine's guarded cycle calls, in order.

reconcile -> score -> exits -> entries -> displacement -> attribution (-> shadow, in pipeline).
Each step lives in its own module (`step_reconcile`, `step_score`, `step_exits`,
`step_entries`, `step_displacement`) over the shared state in `step_state`; this module is the
one place the pipeline and tests import them from, and holds the two small end-of-cycle steps.
Each step reads and writes the per-cycle `V1Cycle` in `ctx.extras["v1"]`; long-lived things
(strategy config, broker handle, asset cache) live in `V1Runtime` in `ctx.extras["engine"]`,
which survives across cycles. Broker failures are expected weather: they degrade the cycle
with one event and leave the book untouched; entries fail closed, exits wait for the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from src.engine.cycle import CycleContext
from src.engine.step_displacement import displacement_step
from src.engine.step_entries import CANDIDATE_QUOTE_LIMIT, decide_entry, entries_step, try_entry
from src.engine.step_exits import close_position, exits_step
from src.engine.step_reconcile import reconcile_step
from src.engine.step_score import score_step
from src.engine.step_state import SUBSYSTEM, V1Cycle, V1Runtime, cycle_data, runtime, save_if_changed
from src.engine.trade_logs import log_attribution

__all__ = [
    "CANDIDATE_QUOTE_LIMIT",
    "SUBSYSTEM",
    "V1Cycle",
    "V1Runtime",
    "attribution_step",
    "close_position",
    "cycle_data",
    "decide_entry",
    "displacement_step",
    "entries_step",
    "exits_step",
    "reconcile_step",
    "runtime",
    "score_step",
    "shadow_step_factory",
    "try_entry",
]


def attribution_step(ctx: CycleContext) -> None:
    """Write the cycle's attribution lines, then persist the book once for the whole cycle."""
    cyc = cycle_data(ctx)
    if cyc.broker_ok:
        save_if_changed(ctx, cyc)
    for line in cyc.attribution:
        log_attribution(ctx.paths, line)
    if cyc.attribution:
        ctx.count("entries_attributed", len(cyc.attribution))
    cyc.attribution = []


def shadow_step_factory() -> Callable[[CycleContext], Any] | None:
    """The v2 shadow step if its module is installed, else None (the pipeline makes a no-op)."""
    try:
        from src.shadow.step import shadow_step
    except ImportError:
        return None
    return shadow_step
