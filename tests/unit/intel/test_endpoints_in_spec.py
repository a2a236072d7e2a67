"""Contract 4.8 for the intel layer: every UW endpoint intel code calls is a path of the spec,
with the query parameters the spec declares for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from src.core.paths import REPO_ROOT, Paths
from src.intel import prepost, risk_features, universe
from src.uw.spec import load_spec
from src.uw.uw_client import validate_call

ENDPOINT_RE = re.compile(r"\"(/api/[^\"]+)\"")


def _calls() -> list[tuple[str, dict]]:
    out = [(universe.SCREENER, universe.screener_params(universe.CoreUniverseConfig()))]
    out += [(t, p or {}) for t, p in prepost.SYMBOL_FAMILIES.values()]
    out += [(prepost.MARKET_TIDE, {"interval_5m": True}), (prepost.SECTOR_TIDE, {}), (prepost.ECON_CALENDAR, {})]
    out += [
        (risk_features.REALIZED, {"timeframe": "1M"}),
        (risk_features.IV_RANK, {"timespan": "1m"}),
        (risk_features.SHORT_INTEREST, {}),
        (risk_features.INFO, {}),
    ]
    return out


@pytest.mark.parametrize("template,params", _calls())
def test_intel_calls_validate_against_spec(template: str, params: dict, tmp_path: Path) -> None:
    concrete = template.replace("{t}", "AAPL").replace("{sector}", "Technology")
    validate_call(load_spec(), "GET", concrete, params, paths=Paths(tmp_path), caller="test")


def test_every_endpoint_literal_in_intel_sources_is_covered() -> None:
    literals = set()
    for f in (REPO_ROOT / "src" / "intel").glob("*.py"):
        literals |= set(ENDPOINT_RE.findall(f.read_text()))
    assert literals and literals <= {t for t, _ in _calls()}
