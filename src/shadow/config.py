"""config/shadow_v2.json: the v2 shadow trader's knobs, validated before a cycle uses them.

Defaults mirror the original system's v1 trading defaults so a shadow-vs-live comparison
differs by the intelligence layer, not by the book size or the sizing rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from src.core.paths import REPO_ROOT
from src.exit.models import load_config_file

SHADOW_CONFIG_PATH = REPO_ROOT / "config" / "shadow_v2.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlippageConfig(_Strict):
    """Fill = quote moved against us: `fixed_bps`, or `vol_scaled` (bps + fraction of daily vol)."""

    model: Literal["none", "fixed_bps", "vol_scaled"] = "fixed_bps"
    bps: float = Field(default=5.0, ge=0, le=500)
    vol_fraction: float = Field(default=0.05, ge=0, le=1, description="vol_scaled: extra % = vol% x this")


class SizingConfig(_Strict):
    equity_usd: float = Field(default=100_000.0, gt=0, description="notional book the shadow sizes against")
    base_pct: float = Field(default=1.5, gt=0, le=100)
    high_pct: float = Field(default=2.0, gt=0, le=100)
    high_score: float = 4.5
    low_pct: float = Field(default=1.0, gt=0, le=100)
    low_score: float = 3.5


class ReadinessConfig(_Strict):
    max_age_minutes: float = Field(default=240.0, gt=0)
    regression_timeout_s: float = Field(default=600.0, gt=0)


class ShadowV2Config(_Strict):
    version: str = "1"
    enabled: bool = True
    only_market_hours: bool = True
    entry_threshold: float = Field(default=2.7, ge=0)
    long_only: bool = False
    max_positions: int = Field(default=16, ge=1)
    max_entries_per_cycle: int = Field(default=4, ge=1)
    max_candidates: int = Field(default=60, ge=1, description="cap on symbols scored per cycle")
    cooldown_minutes: float = Field(default=15.0, ge=0)
    log_refusals: bool = True
    sizing: SizingConfig = Field(default_factory=SizingConfig)
    slippage: SlippageConfig = Field(default_factory=SlippageConfig)
    readiness: ReadinessConfig = Field(default_factory=ReadinessConfig)

    @model_validator(mode="after")
    def _check(self) -> ShadowV2Config:
        if self.max_entries_per_cycle > self.max_positions:
            raise ValueError("max_entries_per_cycle must be <= max_positions")
        return self


def load_shadow_config(path: Path | None = None) -> ShadowV2Config:
    """Read and validate config/shadow_v2.json (ConfigError names each bad field)."""
    return load_config_file(path or SHADOW_CONFIG_PATH, ShadowV2Config)
