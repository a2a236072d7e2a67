"""The score step, and the prices the later steps decide with.

Scores every cached symbol once per cycle so exits, entries and displacement judge the same
numbers; the cache's prices become the cycle's fallback quotes. Broker quotes are fetched in
one batched call for just the symbols a step is about to act on, and a failed fetch only
leaves the cache price in place.
"""

from __future__ import annotations

from src.broker.errors import BrokerError
from src.core.events import emit
from src.engine.cycle import CycleContext
from src.engine.scoring import ScoreResult, score_cache
from src.engine.step_state import SUBSYSTEM, V1Cycle, V1Runtime, runtime


def score_step(ctx: CycleContext) -> None:
    rt = runtime(ctx)
    cache = ctx.cache
    symbols = cache.symbols if cache is not None else {}
    market = cache.market if cache is not None else {}
    now = ctx.now.timestamp()
    scores = score_cache(symbols, market, rt.cfg, now)
    ctx.extras["v1_scores"] = scores
    ctx.extras["quotes"] = {s: r.price for s, r in scores.items() if r.price is not None}
    ctx.counters["clusters"] = sum(1 for r in scores.values() if r.clusters > 0)
    ctx.count("symbols_scored", len(scores))


def cycle_scores(ctx: CycleContext) -> dict[str, ScoreResult]:
    """This cycle's scores; empty when the score step failed, so later steps act on nothing."""
    s = ctx.extras.get("v1_scores")
    return s if isinstance(s, dict) else {}


def fetch_quotes(ctx: CycleContext, rt: V1Runtime, cyc: V1Cycle, symbols: list[str]) -> None:
    want = [s for s in symbols if s]
    if not want:
        return
    try:
        for sym, q in rt.get_broker().latest_quotes(want).items():
            if q.price:
                cyc.quotes[sym] = q.price
    except BrokerError as exc:  # the cache price is the fallback; note it, keep going
        emit(SUBSYSTEM, "broker_quotes_failed", "warning", paths=ctx.paths, error=str(exc)[:300], n=len(want))
