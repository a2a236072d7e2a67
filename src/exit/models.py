"""Typed config, results and state files of the v2 exit engine (contract 4.18, shadow-only).

The config (`config/exit_v2.json`) is validated before anything runs; every result is a
model so the shadow trader, the attribution writer and the jobs agree on one shape.
Every state-file model has a default for every field (contract 3: self-healing loads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from src.core.errors import ConfigError
from src.core.paths import REPO_ROOT

EXIT_SCHEMA_VERSION = 1
EXIT_CONFIG_PATH = REPO_ROOT / "config" / "exit_v2.json"

# contract 4.20.3: the named components every exit score reports (None when unknown)
EXIT_COMPONENTS: tuple[str, ...] = (
    "vol_expansion",
    "regime_shift",
    "sector_shift",
    "flow_deterioration",
    "darkpool_deterioration",
    "sentiment_deterioration",
    "score_deterioration",
)

Side = Literal["long", "short"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---------------------------------------------------------------- config


class RegimeAdjust(_Strict):
    """How one regime scales targets and stops (1.0 = unchanged)."""

    target_mult: float = Field(default=1.0, gt=0)
    stop_mult: float = Field(default=1.0, gt=0)


class ExitScoreConfig(_Strict):
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "vol_expansion": 0.10,
            "regime_shift": 0.15,
            "sector_shift": 0.10,
            "flow_deterioration": 0.20,
            "darkpool_deterioration": 0.10,
            "sentiment_deterioration": 0.15,
            "score_deterioration": 0.20,
        }
    )
    # vol ratio (now / entry) at which vol_expansion reaches 1.0
    vol_expansion_full_ratio: float = Field(default=2.0, gt=1.0)
    # sector multiplier drop (fraction of the entry multiplier) at which sector_shift reaches 1.0
    sector_shift_full_drop: float = Field(default=0.5, gt=0)
    # denominators below which a relative drop is measured against the floor instead
    flow_floor_usd: float = Field(default=100_000.0, gt=0)
    darkpool_floor_usd: float = Field(default=1_000_000.0, gt=0)
    score_floor: float = Field(default=0.5, gt=0)
    # regime shift: changed but neither adverse nor favourable
    regime_change_neutral: float = Field(default=0.5, ge=0, le=1)
    # regime labels of src/intel/regime_detector.py (risk_on, risk_off, high_volatility, trend, chop, neutral)
    bullish_regimes: list[str] = Field(default_factory=lambda: ["risk_on"])
    bearish_regimes: list[str] = Field(default_factory=lambda: ["risk_off"])
    thesis_flag_weights: dict[str, float] = Field(
        default_factory=lambda: {"direction_flip": 0.30, "below_entry_threshold": 0.15}
    )
    default_thesis_flag_weight: float = Field(default=0.10, ge=0, le=1)

    @model_validator(mode="after")
    def _known_components(self) -> ExitScoreConfig:
        unknown = sorted(set(self.weights) - set(EXIT_COMPONENTS))
        if unknown:
            raise ValueError(f"unknown exit score component(s) in weights: {unknown}; known: {list(EXIT_COMPONENTS)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("exit score weights must be >= 0")
        return self


class TargetConfig(_Strict):
    static_pct: float = Field(default=0.75, gt=0, description="original system: +0.75%")
    vol_mult: float = Field(default=0.5, gt=0, description="target = daily vol% x this x regime mult")
    min_pct: float = Field(default=0.4, gt=0)
    max_pct: float = Field(default=3.0, gt=0)

    @model_validator(mode="after")
    def _order(self) -> TargetConfig:
        if self.min_pct > self.max_pct:
            raise ValueError("targets.min_pct must be <= targets.max_pct")
        return self


class StopConfig(_Strict):
    static_pct: float = Field(default=1.0, gt=0, description="original system: -1.0%")
    static_trail_pct: float = Field(default=1.5, gt=0, description="original system: 1.5% from the high-water mark")
    vol_mult: float = Field(default=0.6, gt=0)
    trail_vol_mult: float = Field(default=0.9, gt=0)
    min_pct: float = Field(default=0.5, gt=0)
    max_pct: float = Field(default=4.0, gt=0)

    @model_validator(mode="after")
    def _order(self) -> StopConfig:
        if self.min_pct > self.max_pct:
            raise ValueError("stops.min_pct must be <= stops.max_pct")
        return self


class ReplacementConfig(_Strict):
    exit_score_threshold: float = Field(default=0.5, ge=0, le=1)
    score_margin: float = Field(default=0.75, ge=0, description="candidate v2 score must beat the position's by this")
    min_hold_minutes: float = Field(default=20.0, ge=0)


class ExitV2Config(_Strict):
    version: str = "1"
    exit_score_threshold: float = Field(default=0.7, ge=0, le=1, description="exit on score alone at/above this")
    score: ExitScoreConfig = Field(default_factory=ExitScoreConfig)
    targets: TargetConfig = Field(default_factory=TargetConfig)
    stops: StopConfig = Field(default_factory=StopConfig)
    replacement: ReplacementConfig = Field(default_factory=ReplacementConfig)
    regimes: dict[str, RegimeAdjust] = Field(
        default_factory=lambda: {
            "risk_on": RegimeAdjust(target_mult=1.2, stop_mult=1.0),
            "risk_off": RegimeAdjust(target_mult=0.8, stop_mult=0.8),
            "high_volatility": RegimeAdjust(target_mult=1.3, stop_mult=1.3),
            "trend": RegimeAdjust(target_mult=1.2, stop_mult=1.1),
            "chop": RegimeAdjust(target_mult=0.8, stop_mult=0.9),
            "neutral": RegimeAdjust(),
        }
    )
    max_hold_minutes: float | None = Field(default=None, gt=0)

    def regime_adjust(self, regime: str | None) -> RegimeAdjust | None:
        if not regime:
            return None
        return self.regimes.get(str(regime).lower())


def load_exit_config(path: Path | None = None) -> ExitV2Config:
    """Read and validate config/exit_v2.json; a missing file means the defaults."""
    return load_config_file(path or EXIT_CONFIG_PATH, ExitV2Config)


def load_config_file(path: Path, model: type[BaseModel]) -> Any:
    path = Path(path)
    if not path.exists():
        return model()
    try:
        return model.model_validate_json(path.read_bytes())
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e.get("loc", ())) or "(root)"
            lines.append(f"{loc}: {e.get('msg', 'invalid')}")
        raise ConfigError(f"{path.name} is invalid:\n  " + "\n  ".join(lines)) from None
    except OSError as exc:
        raise ConfigError(f"{path.name} is unreadable: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- results


class ExitScore(_Strict):
    score: float = 0.0
    components: dict[str, float | None] = Field(default_factory=lambda: dict.fromkeys(EXIT_COMPONENTS))
    thesis_flags: dict[str, bool] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)


class TargetResult(_Strict):
    target_pct: float
    target_price: float | None = None
    source: Literal["dynamic", "static"] = "static"
    inputs: dict[str, Any] = Field(default_factory=dict)


class StopResult(_Strict):
    stop_pct: float
    trail_pct: float
    stop_price: float | None = None
    trail_price: float | None = None
    effective_price: float | None = None
    source: Literal["dynamic", "static"] = "static"
    inputs: dict[str, Any] = Field(default_factory=dict)


class ReplacementDecision(_Strict):
    replace: bool = False
    candidate: str | None = None
    reasoning: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- state files written by the jobs


class PositionExitOutlook(_Loose):
    symbol: str = ""
    side: str = ""
    entry_price: float | None = None
    last_price: float | None = None
    v2_exit_score: float | None = None
    v2_exit_components: dict[str, float | None] = Field(default_factory=dict)
    target_price: float | None = None
    stop_price: float | None = None
    target_source: str | None = None
    stop_source: str | None = None
    missing: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)


class ExitIntelState(_Loose):
    """state/premarket_exit_intel.json and state/postmarket_exit_intel.json."""

    schema_version: int = EXIT_SCHEMA_VERSION
    kind: str = ""  # premarket | postmarket
    day: str | None = None
    generated_at: str | None = None
    regime: str | None = None
    regime_confidence: float | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    open_positions: int = 0
    positions: list[PositionExitOutlook] = Field(default_factory=list)
    day_exits: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class BucketPnl(_Loose):
    exits: int = 0
    wins: int = 0
    losses: int = 0
    pnl_usd: float = 0.0
    avg_pnl_pct: float | None = None
    win_rate: float | None = None


class ExitIntelPnlSummary(_Loose):
    """state/exit_intel_pnl_summary.json."""

    schema_version: int = EXIT_SCHEMA_VERSION
    day: str | None = None
    generated_at: str | None = None
    sparse: bool = True
    exits_total: int = 0
    skipped_lines: int = 0
    pnl_usd_total: float = 0.0
    overall: BucketPnl = Field(default_factory=BucketPnl)
    by_exit_reason: dict[str, BucketPnl] = Field(default_factory=dict)
    by_side: dict[str, BucketPnl] = Field(default_factory=dict)
    by_exit_regime: dict[str, BucketPnl] = Field(default_factory=dict)
    by_exit_sector: dict[str, BucketPnl] = Field(default_factory=dict)
    component_means: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    missing_field_counts: dict[str, int] = Field(default_factory=dict)
    replacements: int = 0
