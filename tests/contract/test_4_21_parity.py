"""Contract 4.21 (and 4.20.7): shadow vs live parity with the expanded row schema."""

from __future__ import annotations

import json

from src.core.paths import Paths
from src.telemetry.bundle import build_bundle
from tests.unit.telemetry.golden_day import DAY, write_golden_day

ROW_KEYS = {"symbol", "v1_entry_ts", "v2_entry_ts", "entry_ts_delta_seconds", "v1_score_at_entry", "v2_score_at_entry",
            "score_delta", "v1_price_at_entry", "v2_price_at_entry", "price_delta_usd", "classification",
            "missing_fields", "feature_family"}
ALLOWED = {"perfect_match", "near_match", "divergent", "missing_in_v1", "missing_in_v2"}


def test_4_21_parity_schema(home: Paths) -> None:
    """4.21: overlap.*, entry_parity.allowed_classifications/rows[], aggregate_metrics, notes.parity_available."""
    write_golden_day(home)
    build_bundle(DAY, home)
    comp = home.telemetry_day(DAY) / "computed"
    par = json.loads((comp / "shadow_vs_live_parity.json").read_text())
    assert set(par["entry_parity"]["allowed_classifications"]) >= ALLOWED
    assert par["overlap"]["overlap_count"] == len(par["overlap"]["overlap_symbols"]) > 0
    assert {"mean_entry_ts_delta_seconds", "mean_score_delta", "mean_price_delta_usd", "match_rate",
            "matched_pairs"} <= set(par["aggregate_metrics"])
    assert par["notes"]["parity_available"] is True
    details = json.loads((comp / "entry_parity_details.json").read_text())
    assert details["rows"] and all(set(r) >= ROW_KEYS and r["classification"] in ALLOWED for r in details["rows"])
    assert {r["classification"] for r in details["rows"]} == ALLOWED  # the golden day has one of each


def test_4_21_missing_v1_logs_do_not_crash_and_say_so(home: Paths) -> None:
    """4.20.7 / 4.21: if v1 logs are missing, telemetry MUST state "parity unavailable" explicitly."""
    write_golden_day(home, v1_logs=False)
    build_bundle(DAY, home)
    par = json.loads((home.telemetry_day(DAY) / "computed" / "shadow_vs_live_parity.json").read_text())
    assert par["notes"]["parity_available"] is False
    assert "parity unavailable" in par["notes"]["reason"]
    assert "parity unavailable" in (home.telemetry_day(DAY) / f"FULL_TELEMETRY_{DAY}.md").read_text()
