"""The v1 strategy's tunables: `config/strategy_v1.json`, validated before the engine starts.

Every field has the original system's default, so a missing file still runs the v1 the
operator knows; a present file with a bad value stops start-up with the field named, so the
engine never trades half-configured. Unknown keys are refused too: a typo must not silently
fall back to a default.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from src.core.errors import ConfigError
from src.core.paths import REPO_ROOT

DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "strategy_v1.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weights(_Strict):
    flow: float = Field(default=2.5, ge=0, le=8)
    dark_pool: float = Field(default=1.5, ge=0, le=8)
    gamma: float = Field(default=1.5, ge=0, le=8)
    oi_change: float = Field(default=0.7, ge=0, le=8)
    market_tide: float = Field(default=0.5, ge=0, le=8)
    iv_rank: float = Field(default=0.3, ge=0, le=8)
    toxicity_penalty: float = Field(default=1.0, ge=0, le=8)  # subtracted, times toxicity 0..1


class Scales(_Strict):
    """Values at which a component reaches full strength (1.0)."""

    flow_premium_full: float = Field(default=1_000_000.0, gt=0)
    flow_min_premium: float = Field(default=100_000.0, ge=0)
    flow_min_imbalance: float = Field(default=0.15, ge=0, le=1)
    dark_pool_notional_full: float = Field(default=50_000_000.0, gt=0)
    gamma_full: float = Field(default=5_000_000.0, gt=0)
    oi_change_full: float = Field(default=10_000.0, gt=0)
    tide_premium_full: float = Field(default=50_000_000.0, gt=0)


class Bonus(_Strict):
    cluster_min_sweeps: int = Field(default=3, ge=1)
    per_cluster: float = Field(default=0.25, ge=0, le=2)
    repeated_hits_min: int = Field(default=3, ge=1)
    repeated_hits_bonus: float = Field(default=0.25, ge=0, le=2)
    max_bonus: float = Field(default=0.75, ge=0, le=3)


class Freshness(_Strict):
    full_until_s: float = Field(default=600.0, ge=0)
    zero_at_s: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Freshness:
        if self.zero_at_s <= self.full_until_s:
            raise ValueError("freshness.zero_at_s must be greater than freshness.full_until_s")
        return self


class Entry(_Strict):
    threshold: float = Field(default=2.7, ge=0, le=8)
    symbol_thresholds: dict[str, float] = Field(default_factory=dict)
    max_toxicity: float = Field(default=0.9, ge=0, le=1)
    min_freshness: float = Field(default=0.25, ge=0, le=1)
    long_only: bool = False
    max_new_entries_per_cycle: int = Field(default=4, ge=0)


class Sizing(_Strict):
    base_pct: float = Field(default=0.015, gt=0, le=1)
    high_score: float = Field(default=4.5, ge=0, le=8)
    high_pct: float = Field(default=0.02, gt=0, le=1)
    low_score: float = Field(default=3.5, ge=0, le=8)
    low_pct: float = Field(default=0.01, gt=0, le=1)
    max_position_notional: float = Field(default=5_000.0, gt=0)
    max_total_notional: float = Field(default=60_000.0, gt=0)
    buying_power_usage: float = Field(default=0.95, gt=0, le=1)


class Risk(_Strict):
    max_positions: int = Field(default=16, ge=1, le=500)
    daily_loss_pct: float = Field(default=0.04, gt=0, le=1)
    max_drawdown_pct: float = Field(default=0.20, gt=0, le=1)
    cooldown_minutes: float = Field(default=15.0, ge=0)
    no_entry_minutes_before_close: float = Field(default=15.0, ge=0)


class Exits(_Strict):
    stop_loss_pct: float = Field(default=0.010, gt=0, le=1)
    profit_target_pct: float = Field(default=0.0075, gt=0, le=10)
    trailing_stop_pct: float = Field(default=0.015, gt=0, le=1)
    time_exit_minutes: float = Field(default=150.0, gt=0)
    stale_after_minutes: float = Field(default=120.0, gt=0)
    stale_min_pnl_pct: float = Field(default=0.002, ge=-1, le=1)
    score_decay_ratio: float = Field(default=0.6, ge=0, le=1)
    exit_on_flow_reversal: bool = True
    flatten_before_close: bool = True
    flatten_minutes_before_close: float = Field(default=5.0, ge=0)


class Displacement(_Strict):
    enabled: bool = True
    min_score_margin: float = Field(default=0.75, ge=0, le=8)
    min_hold_minutes: float = Field(default=20.0, ge=0)
    max_per_cycle: int = Field(default=2, ge=0)


class Orders(_Strict):
    timeout_s: float = Field(default=120.0, gt=0)
    client_order_prefix: str = Field(default="v1", pattern=r"^[A-Za-z0-9]{1,8}$")


class StrategyV1Config(_Strict):
    schema_version: int = 1
    weights: Weights = Field(default_factory=Weights)
    scales: Scales = Field(default_factory=Scales)
    bonus: Bonus = Field(default_factory=Bonus)
    freshness: Freshness = Field(default_factory=Freshness)
    entry: Entry = Field(default_factory=Entry)
    sizing: Sizing = Field(default_factory=Sizing)
    risk: Risk = Field(default_factory=Risk)
    exits: Exits = Field(default_factory=Exits)
    displacement: Displacement = Field(default_factory=Displacement)
    orders: Orders = Field(default_factory=Orders)

    @model_validator(mode="after")
    def _consistent(self) -> StrategyV1Config:
        if self.sizing.low_score > self.sizing.high_score:
            raise ValueError("sizing.low_score must not exceed sizing.high_score")
        if self.sizing.max_position_notional > self.sizing.max_total_notional:
            raise ValueError("sizing.max_position_notional must not exceed sizing.max_total_notional")
        return self

    def threshold_for(self, symbol: str) -> float:
        return float(self.entry.symbol_thresholds.get(symbol, self.entry.threshold))


def _describe(path: Path, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e.get("loc", ())) or "(top level)"
        lines.append(f"{loc}: {e.get('msg', 'invalid')} (got {e.get('input')!r})"[:300])
    return f"invalid strategy config {path}:\n  " + "\n  ".join(lines)


def load_strategy_config(path: Path | str | None = None) -> StrategyV1Config:
    """Read and validate the strategy file; ConfigError names each bad field."""
    p = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    if not p.exists():
        if path is not None:
            raise ConfigError(f"strategy config not found: {p}")
        return StrategyV1Config()
    try:
        data = orjson.loads(p.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError(f"invalid strategy config {p}: not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"invalid strategy config {p}: top level must be an object")
    try:
        return StrategyV1Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(p, err)) from None
