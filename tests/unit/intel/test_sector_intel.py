"""Sector resolution: config membership, hints, and the neutral UNKNOWN default."""

from __future__ import annotations

import json
from pathlib import Path

from src.intel.sector_intel import UNKNOWN, load_sector_profiles, resolve_sector


def _write(path: Path, sectors: dict) -> Path:
    path.write_text(json.dumps({"version": "t1", "multiplier_keys": ["uw", "flow"], "sectors": sectors}))
    return path


def test_member_symbol_gets_its_sector_multipliers(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "s.json",
        {"TECH": {"uw_sector": "Technology", "multipliers": {"uw": 1.2, "flow": 0.8}, "members": ["aapl", "MSFT"]}},
    )
    prof = resolve_sector("AAPL", load_sector_profiles(p))
    assert prof.name == "TECH"
    assert prof.multipliers["uw"] == 1.2 and prof.multipliers["flow"] == 0.8
    assert prof.multipliers["anything_else"] == 1.0  # absent keys read as neutral


def test_unknown_symbol_is_unknown_with_all_multipliers_one(tmp_path: Path) -> None:
    p = _write(tmp_path / "s.json", {"TECH": {"multipliers": {"uw": 1.5}, "members": ["AAPL"]}})
    prof = resolve_sector("ZZZZ", load_sector_profiles(p))
    assert prof.name == UNKNOWN
    assert set(prof.multipliers) == {"uw", "flow"} and set(prof.multipliers.values()) == {1.0}


def test_hint_places_unlisted_symbol_by_uw_sector_name(tmp_path: Path) -> None:
    p = _write(tmp_path / "s.json", {"TECH": {"uw_sector": "Technology", "multipliers": {"uw": 1.3}, "members": []}})
    profiles = load_sector_profiles(p)
    assert resolve_sector("NEWCO", profiles, hint="Technology").name == "TECH"
    assert resolve_sector("NEWCO", profiles, hint="tech").name == "TECH"
    assert resolve_sector("NEWCO", profiles, hint="Gardening").name == UNKNOWN


def test_corrupt_or_missing_config_means_unknown_and_an_event(tmp_path: Path, home, read_events) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    profiles = load_sector_profiles(bad)
    assert profiles.status == "corrupt"
    assert resolve_sector("AAPL", profiles).name == UNKNOWN
    assert read_events(home, "sector_profiles_invalid")
    assert resolve_sector("AAPL", load_sector_profiles(tmp_path / "none.json")).name == UNKNOWN


def test_absurd_multipliers_are_neutralised(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text('{"sectors": {"X": {"multipliers": {"uw": -3, "flow": 99}, "members": ["AAA"]}}}')
    prof = resolve_sector("AAA", load_sector_profiles(p))
    assert prof.name == "X" and prof.multipliers["uw"] == 1.0 and prof.multipliers["flow"] == 1.0


def test_shipped_config_is_valid_and_covers_core_symbols() -> None:
    profiles = load_sector_profiles()
    assert profiles.status == "ok"
    core = json.loads((Path(profiles.path).parent / "core_universe.json").read_text())["core_symbols"]
    assert all(resolve_sector(s, profiles).name != UNKNOWN for s in core)
