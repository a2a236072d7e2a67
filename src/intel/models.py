"""Schemas of the v2 intel state files and configs (contract 4.5, 4.6, 4.10-4.16).

Every field has a default so `load_state` can always build a valid empty file, and every
model allows extra keys so a newer producer never makes an older reader quarantine a file.
Timestamps are ISO-8601 UTC strings (`as_of` = when the data describes, `generated_at` =
when the file was written).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

INTEL_SCHEMA_VERSION = 1


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---------------------------------------------------------------- configs


class SectorProfileConfig(_Loose):
    """One sector: the multipliers v2 applies to UW adjustments and its member symbols."""

    uw_sector: str | None = None  # UW's sector name, for /api/market/{sector}/sector-tide
    multipliers: dict[str, float] = Field(default_factory=dict)
    members: list[str] = Field(default_factory=list)


class SectorProfilesConfig(_Loose):
    version: str = "1"
    multiplier_keys: list[str] = Field(default_factory=list)
    sectors: dict[str, SectorProfileConfig] = Field(default_factory=dict)


class CoreUniverseConfig(_Loose):
    """config/core_universe.json: the always-watched core list plus the daily build knobs."""

    version: str = "1"
    core_symbols: list[str] = Field(default_factory=list)
    daily_max_symbols: int = 40
    min_underlying_price: float = 5.0
    min_option_volume: int = 5_000
    min_stock_volume: int = 500_000
    min_marketcap: float = 1_000_000_000
    rank_by: str = "premium"


# ---------------------------------------------------------------- per-field provenance


class FieldValue(_Loose):
    """A measured value with where it came from and when it was true."""

    value: float | None = None
    source: str = ""
    as_of: str | None = None


# ---------------------------------------------------------------- risk features (4.12)


class SymbolRiskFeatures(_Loose):
    symbol: str = ""
    sector: str | None = None
    price: FieldValue = Field(default_factory=FieldValue)
    realized_vol: FieldValue = Field(default_factory=FieldValue)
    implied_vol: FieldValue = Field(default_factory=FieldValue)
    iv_rank: FieldValue = Field(default_factory=FieldValue)
    option_volume: FieldValue = Field(default_factory=FieldValue)
    stock_volume: FieldValue = Field(default_factory=FieldValue)
    marketcap: FieldValue = Field(default_factory=FieldValue)
    short_interest_pct_float: FieldValue = Field(default_factory=FieldValue)
    days_to_cover: FieldValue = Field(default_factory=FieldValue)
    liquidity_score: float | None = None


class SymbolRiskFeaturesFile(_Loose):
    schema_version: int = INTEL_SCHEMA_VERSION
    as_of: str | None = None
    generated_at: str | None = None
    partial: bool = False
    errors: list[str] = Field(default_factory=list)
    symbols: dict[str, SymbolRiskFeatures] = Field(default_factory=dict)


# ---------------------------------------------------------------- pre/post intel (4.6)


class SymbolIntel(_Loose):
    """Per-symbol intel; each family is a dict with its own `as_of`, absent when not fetched."""

    symbol: str = ""
    sector: str | None = None
    flow: dict[str, Any] | None = None
    dark_pool: dict[str, Any] | None = None
    greek_exposure: dict[str, Any] | None = None
    earnings: dict[str, Any] | None = None
    net_premium: dict[str, Any] | None = None
    stock_state: dict[str, Any] | None = None
    missing: list[str] = Field(default_factory=list)


class MarketIntel(_Loose):
    market_tide: dict[str, Any] | None = None
    sector_tide: dict[str, dict[str, Any]] = Field(default_factory=dict)
    economic_calendar: dict[str, Any] | None = None


class IntelFile(_Loose):
    """state/premarket_intel.json and state/postmarket_intel.json."""

    schema_version: int = INTEL_SCHEMA_VERSION
    kind: str = ""  # premarket | postmarket
    day: str | None = None
    as_of: str | None = None
    generated_at: str | None = None
    partial: bool = False
    degraded_reason: str | None = None
    calls_made: int = 0
    calls_failed: int = 0
    errors: list[str] = Field(default_factory=list)
    universe: list[str] = Field(default_factory=list)
    market: MarketIntel = Field(default_factory=MarketIntel)
    symbols: dict[str, SymbolIntel] = Field(default_factory=dict)


# ---------------------------------------------------------------- regime (4.11)


class RegimeStateFile(_Loose):
    schema_version: int = INTEL_SCHEMA_VERSION
    regime: str = "neutral"
    confidence: float = 0.0
    evidence: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    as_of: str | None = None
    generated_at: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict)


# ---------------------------------------------------------------- attribution + P&L (4.10)


class ComponentPnl(_Loose):
    trades: int = 0
    wins: int = 0
    pnl_usd: float = 0.0
    pnl_pct_sum: float = 0.0
    avg_adjustment: float = 0.0
    helped: int = 0  # adjustment sign agreed with the trade outcome
    hurt: int = 0


class UwIntelPnlSummary(_Loose):
    schema_version: int = INTEL_SCHEMA_VERSION
    day: str | None = None
    generated_at: str | None = None
    sparse: bool = True
    sources: dict[str, str] = Field(default_factory=dict)  # name -> ok|missing|empty
    trades_total: int = 0
    trades_attributed: int = 0
    pnl_usd_total: float = 0.0
    by_component: dict[str, ComponentPnl] = Field(default_factory=dict)
    by_sector: dict[str, ComponentPnl] = Field(default_factory=dict)
    by_regime: dict[str, ComponentPnl] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- health (4.15, 4.16)


class ArtifactHealth(_Loose):
    name: str = ""
    path: str = ""
    status: str = "missing"  # ok | stale | missing | corrupt
    as_of: str | None = None
    age_s: float | None = None
    max_age_s: float | None = None
    error: str = ""
    producer: str = ""
    self_heal: dict[str, Any] | None = None


class IntelHealthState(_Loose):
    schema_version: int = INTEL_SCHEMA_VERSION
    generated_at: str | None = None
    overall: str = "unknown"  # ok | degraded | critical | unknown
    artifacts: dict[str, ArtifactHealth] = Field(default_factory=dict)
    self_heal_enabled: bool = False


class DaemonCheck(_Loose):
    status: str = "unknown"  # ok | warning | critical | unknown
    detail: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class DaemonHealthState(_Loose):
    schema_version: int = INTEL_SCHEMA_VERSION
    generated_at: str | None = None
    status: str = "unknown"  # ok | warning | critical | unknown
    checks: dict[str, DaemonCheck] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)
    self_heal: dict[str, Any] | None = None
