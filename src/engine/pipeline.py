"""The engine's ordered steps: the v1 strategy, then the v2 shadow step (never places orders).

Order per cycle (original system): reconcile -> score -> exits -> entries -> displacement ->
attribution -> shadow. Start-up runs one reconciliation so the first cycle starts from the
broker's truth. Strategy config and broker endpoints are validated here, before the loop
starts: a bad value raises ConfigError naming it, and the engine refuses to start.
"""

from __future__ import annotations

from collections.abc import Callable

from src.broker.interface import Broker
from src.core.clock import Clock
from src.core.paths import Paths
from src.core.settings import Settings
from src.engine import steps as steps_module
from src.engine.config import StrategyV1Config, load_strategy_config
from src.engine.cycle import CycleContext, Step
from src.engine.steps import (
    V1Runtime,
    attribution_step,
    displacement_step,
    entries_step,
    exits_step,
    reconcile_step,
    score_step,
)


def _noop(ctx: CycleContext) -> None:
    """Nothing to do (the shadow module is not installed, or shadow is disabled)."""


def _shadow(ctx: CycleContext) -> None:
    """The v2 shadow step, run inside the shadow context so broker submission refuses it."""
    fn = steps_module.shadow_step_factory()  # resolved per cycle: the shadow package ships separately
    if fn is None:
        return
    try:
        from src.shadow.guard import shadow_context
    except ImportError:
        fn(ctx)
        return
    with shadow_context():
        fn(ctx)


def _install_runtime(rt: V1Runtime, fn: Callable[[CycleContext], None]) -> Callable[[CycleContext], None]:
    def step(ctx: CycleContext) -> None:
        eng = ctx.extras.setdefault("engine", {})
        if eng.get("v1") is not rt:
            eng["v1"] = rt
        fn(ctx)

    step.__name__ = fn.__name__
    return step


def build_steps(
    settings: Settings,
    paths: Paths,
    clock: Clock,
    *,
    broker_factory: Callable[[], Broker] | None = None,
    strategy: StrategyV1Config | None = None,
) -> tuple[list[Step], list[Step]]:
    """(startup steps, per-cycle steps). Raises ConfigError on a bad strategy file or broker URL."""
    cfg = strategy or load_strategy_config()
    if broker_factory is None:
        from src.broker.factory import broker_urls, build_broker

        broker_urls(settings)  # fail at start-up, not in the first cycle

        def broker_factory() -> Broker:
            return build_broker(settings)

    rt = V1Runtime(cfg=cfg, broker_factory=broker_factory)
    startup = [Step("reconcile", _install_runtime(rt, reconcile_step))]
    cycle = [
        Step("reconcile", _install_runtime(rt, reconcile_step)),
        Step("score", _install_runtime(rt, score_step)),
        Step("exits", _install_runtime(rt, exits_step)),
        Step("entries", _install_runtime(rt, entries_step)),
        Step("displacement", _install_runtime(rt, displacement_step)),
        Step("attribution", _install_runtime(rt, attribution_step)),
    ]
    if settings.shadow_enabled:
        cycle.append(Step("shadow", _shadow))
    return startup, cycle
