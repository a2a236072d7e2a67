"""Schema of `data/uw_flow_cache.json` (contract 4.1), written by the daemon, read by the engine.

Per-symbol records are kept loosely typed on purpose: a record from a newer daemon, or
one with a missing family, must still load; v1 scoring treats every field as optional.
Documented record fields (all optional):

    last_update   epoch seconds of the newest family in the record
    checked_at    epoch seconds of the newest family check in the record
    price         last underlying price seen
    flow          {call_premium, put_premium, net_premium, sweep_count, block_count,
                   alert_count, repeated_hits, sentiment, last_update, checked_at}
    dark_pool     {print_count, total_notional, total_size, avg_price, last_update, checked_at}
    greek_exposure{call_gamma, put_gamma, net_gamma, call_delta, put_delta, last_update, checked_at}
    iv_rank       {value, last_update, checked_at}
    oi_change     {net_oi_change, last_update, checked_at}

Two clocks per family, because a quiet symbol is not a stale one: `last_update` is when the
family's values were last (re)computed from data and stays put when a poll brings nothing new;
`checked_at` is the last successful poll of that family, empty answer included (>= last_update).
A fault (5xx, timeout, malformed or unusable payload, rate limit) moves neither. Records written
before `checked_at` existed lack it; readers fall back to `last_update`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FLOW_CACHE_SCHEMA_VERSION = 1


class CacheMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = FLOW_CACHE_SCHEMA_VERSION
    written_at: float | None = None  # epoch seconds; None = never written by a daemon
    written_by: str = ""
    daemon_pid: int | None = None
    poll_cycle: int = 0
    endpoints_ok: list[str] = Field(default_factory=list)
    endpoints_failed: list[str] = Field(default_factory=list)
    budget_left: int | None = None


class MarketItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    data: Any = None
    last_update: float | None = None


class FlowCache(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    meta: CacheMeta = Field(default_factory=CacheMeta, alias="_meta")
    market: dict[str, MarketItem] = Field(default_factory=dict)
    symbols: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def age_seconds(self, now_epoch: float) -> float | None:
        if self.meta.written_at is None:
            return None
        return max(0.0, now_epoch - self.meta.written_at)
