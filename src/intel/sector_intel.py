"""Sector resolution for v2 scoring (contract 4.11).

A symbol's sector decides which multipliers shape its v2 UW adjustments. Anything we cannot
place (unknown symbol, missing or broken config) is sector UNKNOWN with every multiplier 1.0,
so a config problem can only make v2 neutral, never skew it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from src.core.events import emit
from src.core.paths import REPO_ROOT
from src.core.state import LoadStatus, inspect_state
from src.intel.models import SectorProfilesConfig

UNKNOWN = "UNKNOWN"
DEFAULT_PROFILES_PATH = REPO_ROOT / "config" / "sector_profiles.json"
DEFAULT_MULTIPLIER_KEYS = ("uw", "flow", "dark_pool", "greeks", "earnings", "market_tide", "sector_tide", "net_premium")


class _NeutralMultipliers(dict[str, float]):
    """A multiplier map whose absent keys read as 1.0 (neutral), even via `[]`."""

    def __missing__(self, key: str) -> float:
        return 1.0


@dataclass(frozen=True)
class SectorProfile:
    name: str
    multipliers: dict[str, float] = field(default_factory=_NeutralMultipliers)
    uw_sector: str | None = None


@dataclass(frozen=True)
class SectorProfiles:
    """The loaded config plus a symbol -> sector index and where it came from."""

    config: SectorProfilesConfig
    index: dict[str, str]
    path: str
    status: str  # ok | missing | corrupt
    error: str = ""

    @property
    def multiplier_keys(self) -> tuple[str, ...]:
        return tuple(self.config.multiplier_keys) or DEFAULT_MULTIPLIER_KEYS


def _unknown(keys: tuple[str, ...] = DEFAULT_MULTIPLIER_KEYS) -> SectorProfile:
    return SectorProfile(UNKNOWN, _NeutralMultipliers({k: 1.0 for k in keys}), None)


def load_sector_profiles(path: Path | str | None = None) -> SectorProfiles:
    """Read config/sector_profiles.json without healing it (it is source, not state)."""
    p = Path(path) if path is not None else DEFAULT_PROFILES_PATH
    result = inspect_state(p, SectorProfilesConfig)
    if result.status is not LoadStatus.ok or result.value is None:
        if result.status is LoadStatus.corrupt:
            emit("intel", "sector_profiles_invalid", "error", file=str(p), reason=result.error)
        return SectorProfiles(SectorProfilesConfig(), {}, str(p), result.status.value, result.error)
    cfg = result.value
    index: dict[str, str] = {}
    for name, prof in cfg.sectors.items():
        for sym in prof.members:
            index.setdefault(sym.strip().upper(), name)
    return SectorProfiles(cfg, index, str(p), "ok")


def _from_hint(hint: str | None, profiles: SectorProfiles) -> str | None:
    """A profile name from a hint that is a profile name or a UW sector name ("Technology")."""
    if not hint:
        return None
    h = str(hint).strip()
    if h.upper() in profiles.config.sectors:
        return h.upper()
    for name, prof in profiles.config.sectors.items():
        if prof.uw_sector and prof.uw_sector.lower() == h.lower():
            return name
    return None


def resolve_sector(symbol: str, profiles: SectorProfiles | None = None, hint: str | None = None) -> SectorProfile:
    """The symbol's sector profile; UNKNOWN with every multiplier 1.0 when it has none.

    Membership in the config wins; `hint` (a UW sector name from the screener, or a profile
    name) places symbols the config does not list.
    """
    try:
        profiles = profiles if profiles is not None else load_sector_profiles()
        keys = profiles.multiplier_keys
        name = profiles.index.get(str(symbol or "").strip().upper()) or _from_hint(hint, profiles)
        prof = profiles.config.sectors.get(name) if name else None
        if prof is None or name is None:
            return _unknown(keys)
        mults = _NeutralMultipliers({k: 1.0 for k in keys})
        for k, v in prof.multipliers.items():
            try:
                fv = float(v)
            except (TypeError, ValueError):
                continue
            if fv == fv and 0.0 <= fv <= 5.0:  # drop NaN and absurd values: neutral instead
                mults[k] = fv
        return SectorProfile(name, mults, prof.uw_sector)
    except Exception as exc:  # noqa: BLE001 - v2 must degrade to neutral, never raise into scoring
        emit("intel", "sector_resolve_failed", "warning", symbol=str(symbol), error=repr(exc))
        return _unknown()


def uw_sectors(profiles: SectorProfiles) -> dict[str, str]:
    """Profile name -> UW sector name, for the sector-tide calls."""
    return {name: p.uw_sector for name, p in profiles.config.sectors.items() if p.uw_sector}
