"""A simulated v2 morning and one engine cycle context for shadow tests (real state files)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from src.core.clock import FixedClock
from src.core.jsonio import atomic_write_json
from src.core.paths import Paths
from src.core.settings import Settings
from src.core.state import save_state
from src.engine.cycle import CycleContext
from src.engine.scoring import ScoreResult
from src.intel.models import IntelFile, RegimeStateFile, SymbolIntel
from src.uw.flow_cache import CacheMeta, FlowCache


def write_intel(paths: Paths, now: datetime, symbols: list[str], regime: str = "risk_on") -> None:
    iso = (now - timedelta(minutes=30)).isoformat()
    atomic_write_json(
        paths.daily_universe_v2,
        {
            "as_of": now.date().isoformat(),
            "generated_at": (now - timedelta(minutes=30)).timestamp(),
            "generated_at_iso": iso,
            "version": "v2",
            "shadow_only": True,
            "symbols": [{"symbol": s, "rank": i + 1} for i, s in enumerate(symbols)],
        },
    )
    save_state(
        paths.premarket_intel,
        IntelFile(
            kind="premarket",
            day=now.date().isoformat(),
            as_of=iso,
            generated_at=iso,
            universe=symbols,
            symbols={s: SymbolIntel(symbol=s) for s in symbols},
        ),
    )
    save_state(paths.regime_state, RegimeStateFile(regime=regime, confidence=0.8, as_of=iso, generated_at=iso))


def flow_cache(now: datetime, prices: dict[str, float]) -> FlowCache:
    recs: dict[str, dict[str, Any]] = {}
    for s, p in prices.items():
        recs[s] = {
            "price": p,
            "last_update": now.timestamp(),
            "flow": {
                "call_premium": 2e6,
                "put_premium": 5e5,
                "net_premium": 1.5e6,
                "sentiment": "BULLISH",
                "last_update": now.timestamp(),
            },
            "dark_pool": {"print_count": 10, "total_notional": 4e6, "last_update": now.timestamp()},
        }
    return FlowCache(meta=CacheMeta(written_at=now.timestamp()), symbols=recs)


def context(
    paths: Paths,
    now: datetime,
    cycle: int,
    prices: dict[str, float],
    scores: dict[str, float],
    engine: dict[str, Any],
    *,
    quotes: bool = True,
    settings: Settings | None = None,
) -> CycleContext:
    extras: dict[str, Any] = {"engine": engine}
    if quotes:
        extras["quotes"] = dict(prices)
    extras["v1_scores"] = {
        s: ScoreResult(
            symbol=s, score=sc, direction="long" if sc >= 0 else "short", components={"flow": 1.5, "dark_pool": 0.5}
        )
        for s, sc in scores.items()
    }
    return CycleContext(
        settings or Settings(),
        paths,
        FixedClock(now),
        now,
        cycle,
        market_open=True,
        cache=flow_cache(now, prices),
        extras=extras,
    )
