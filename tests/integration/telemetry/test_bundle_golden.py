"""The telemetry bundle over the hand-built golden day, an empty day and a day with torn lines."""

from __future__ import annotations

import json

import pytest

from src.core.paths import Paths
from src.telemetry.bundle import build_bundle, run_full_telemetry_extract
from src.telemetry.models import ARTIFACT_MODELS
from tests.unit.telemetry.golden_day import DAY, write_golden_day


def _load(paths: Paths, name: str) -> dict:
    return json.loads((paths.telemetry_day(DAY) / "computed" / name).read_text())


@pytest.fixture
def golden(home: Paths) -> Paths:
    write_golden_day(home)
    build_bundle(DAY, home)
    return home


def test_long_short_matches_hand_computation(golden: Paths) -> None:
    ls = _load(golden, "long_short_analysis.json")
    # day exits: L1 +100 long, L2 -50 short, S1 +120 long, S2 +40 short, S3 -60 long, S4 0 short, S6 +25 short
    o = ls["overall"]
    assert (o["trade_count"], o["wins"], o["losses"]) == (7, 4, 2)
    assert o["total_pnl_usd"] == 175.0 and o["avg_pnl_usd"] == 25.0
    assert o["avg_win_usd"] == 71.25  # (100+120+40+25)/4
    assert o["avg_loss_usd"] == -55.0  # (-50-60)/2
    assert o["win_rate"] == pytest.approx(4 / 7, abs=1e-6)
    assert o["expectancy_usd"] == pytest.approx(4 / 7 * 71.25 + 2 / 7 * -55.0, abs=1e-6)
    lo = ls["long_only"]  # L1, S1, S3
    assert (lo["trade_count"], lo["wins"], lo["losses"], lo["total_pnl_usd"]) == (3, 2, 1, 160.0)
    assert lo["avg_win_usd"] == 110.0 and lo["avg_loss_usd"] == -60.0
    so = ls["short_only"]  # L2, S2, S4 (breakeven), S6
    assert (so["trade_count"], so["wins"], so["losses"], so["total_pnl_usd"]) == (4, 2, 1, 15.0)
    assert so["win_rate"] == 0.5 and so["avg_win_usd"] == 32.5
    assert ls["by_source"]["live"]["overall"]["total_pnl_usd"] == 50.0
    assert ls["by_source"]["shadow"]["overall"]["trade_count"] == 5
    assert ls["by_source"]["shadow"]["short_only"]["total_pnl_usd"] == 65.0  # 40 + 0 + 25


def test_live_vs_shadow_windows(golden: Paths) -> None:
    pnl = _load(golden, "live_vs_shadow_pnl.json")
    assert pnl["window_end_utc"] == "2026-03-04T21:00:00Z"
    w = pnl["windows"]
    # 24h: live L1+L2 = 50; shadow S1..S4 = 100 (S6 exits after the close, S5 days before)
    assert w["24h"]["live"] == {"pnl_usd": 50.0, "expectancy_usd": 25.0, "trade_count": 2, "win_rate": 0.5}
    assert w["24h"]["shadow"]["pnl_usd"] == 100.0 and w["24h"]["shadow"]["trade_count"] == 4
    assert w["24h"]["delta"]["pnl_usd"] == 50.0 and w["24h"]["delta"]["trade_count"] == 2
    # 48h adds L3 (-30, the day before)
    assert w["48h"]["live"]["pnl_usd"] == 20.0 and w["48h"]["live"]["trade_count"] == 3
    assert w["48h"]["delta"]["pnl_usd"] == 80.0
    # 5d adds L4 (+200, Sunday); S5 exited 1 h before the 5d window opened
    assert w["5d"]["live"]["pnl_usd"] == 220.0 and w["5d"]["shadow"]["pnl_usd"] == 100.0
    assert w["5d"]["delta"]["pnl_usd"] == -120.0
    rows = {(r["window"], r["symbol"]): r for r in pnl["per_symbol"]}
    assert rows[("24h", "MSFT")] == {"symbol": "MSFT", "window": "24h", "live_pnl_usd": -50.0, "shadow_pnl_usd": 40.0,
                                     "delta_pnl_usd": 90.0, "live_trade_count": 1, "shadow_trade_count": 1}
    assert ("24h", "TSLA") not in rows and rows[("48h", "TSLA")]["live_pnl_usd"] == -30.0
    assert rows[("24h", "XOM")]["shadow_trade_count"] == 1 and ("5d", "AMD") not in rows


def test_parity_classifications(golden: Paths) -> None:
    par = _load(golden, "shadow_vs_live_parity.json")
    rows = {r["symbol"]: r for r in par["entry_parity"]["rows"]}
    assert {s: r["classification"] for s, r in rows.items()} == {
        "AAPL": "perfect_match", "MSFT": "near_match", "GOOG": "missing_in_v2", "NVDA": "missing_in_v1",
        "TSLA": "divergent",
    }
    aapl = rows["AAPL"]
    assert aapl["entry_ts_delta_seconds"] == 30.0 and aapl["score_delta"] == 0.5
    assert aapl["price_delta_usd"] == pytest.approx(0.1, abs=1e-6) and aapl["missing_fields"] == []
    assert rows["MSFT"]["feature_family"] == "darkpool"  # the v2 components of that entry
    assert "v2_entry_ts" in rows["GOOG"]["missing_fields"]
    am = par["aggregate_metrics"]
    assert am["matched_pairs"] == 3 and am["match_rate"] == 0.4
    assert am["mean_entry_ts_delta_seconds"] == 220.0  # (30 + 600 + 30) / 3
    ov = par["overlap"]
    assert ov["overlap_symbols"] == ["AAPL", "MSFT", "TSLA"]
    assert ov["v2_candidate_symbols"] == ["AAPL", "MSFT", "NVDA", "TSLA", "XOM"]  # entries, refused, replacement
    assert ov["v1_only_symbols"] == ["GOOG"] and ov["jaccard"] == 0.5
    assert par["notes"]["parity_available"] is True
    details = _load(golden, "entry_parity_details.json")
    assert len(details["rows"]) == par["entry_parity"]["total_rows"] == 5


def test_exit_completeness_and_replacement(golden: Paths) -> None:
    c = _load(golden, "exit_intel_completeness.json")
    assert (c["total_records"], c["complete_records"], c["records_with_missing_fields"]) == (3, 1, 2)
    assert c["undated_records"] == 1
    assert c["missing_top_level_counts"]["pnl_pct"] == 1
    assert c["missing_top_level_counts"]["v2_exit_components"] == 1
    assert c["missing_top_level_counts"]["pnl"] == 0
    assert c["missing_component_counts"]["sector_shift"] == 2  # partial record + record without components
    assert c["missing_component_counts"]["vol_expansion"] == 1
    r = _load(golden, "replacement_telemetry_expanded.json")
    assert r["replacement_exit_count"] == 1 and r["with_candidate_count"] == 1 and r["with_reasoning_count"] == 1
    assert r["candidate_symbols"] == [{"symbol": "AMD", "count": 1}]
    assert r["rows"][0]["replacement_reasoning"] == {"score_gap": 1.2}
    assert r["shadow_replacement_decisions"] == 1 and r["total_pnl_usd"] == -60.0


def test_signals_features_regimes(golden: Paths) -> None:
    sig = {r["signal"]: r for r in _load(golden, "signal_performance.json")["signals"]}
    assert sig["options_flow"]["trade_count"] == 4 and sig["options_flow"]["total_pnl_usd"] == 210.0
    assert sig["options_flow"]["live_trade_count"] == 2 and sig["options_flow"]["win_rate"] == 0.75
    assert sig["dark_pool"]["total_pnl_usd"] == 220.0 and sig["gamma_exposure"]["total_pnl_usd"] == -20.0
    rec = _load(golden, "signal_weight_recommendations.json")
    assert rec["advisory_only"] is True and rec["applied"] is False
    assert {r["recommendation"] for r in rec["recommendations"]} == {"insufficient_data"}  # < 5 trades each
    eq = {f["feature"]: f for f in _load(golden, "feature_equalizer_builder.json")["features"]}
    flow = eq["flow_score"]  # shadow only: S1 2.5/+120 long, S2 1.5/+40 short, S3 0.5/-60 long, S6 1.0/+25 short
    assert flow["overall"]["count"] == 4 and flow["overall"]["total_pnl_usd"] == 125.0
    assert flow["overall"]["mean_value"] == 1.375
    assert flow["long"]["total_pnl_usd"] == 60.0 and flow["short"]["total_pnl_usd"] == 65.0
    curves = {c["feature"]: c for c in _load(golden, "feature_value_curves.json")["curves"]}
    assert sum(b["count"] for b in curves["flow_score"]["bins"]) == 4
    m = _load(golden, "regime_sector_feature_matrix.json")
    cell = next(c for c in m["cells"] if (c["regime"], c["sector"], c["feature"]) == ("risk_on", "Technology", "flow_score"))
    assert cell["count"] == 2 and cell["avg_pnl_usd"] == 80.0  # S1 +120, S2 +40
    assert m["regimes"] == ["risk_off", "risk_on"]
    tl = _load(golden, "regime_timeline.json")
    assert [s["regime"] for s in tl["segments"]] == ["risk_on", "risk_off"] and tl["transitions"] == 1
    assert tl["observations_by_regime"] == {"risk_off": 4, "risk_on": 3}
    assert tl["current_state"]["regime"] == "risk_off"
    fam = {f["family"]: f for f in _load(golden, "feature_family_summary.json")["families"]}
    assert fam["flow"]["live_trade_count"] == 2 and fam["flow"]["shadow_trade_count"] == 4
    sc = {c["name"]: c for c in _load(golden, "score_distribution_curves.json")["curves"]}
    assert sc["v1_attribution_entries"]["count"] == 4 and sc["v2_shadow_entries"]["count"] == 4


def test_torn_lines_change_nothing_but_the_counts(home: Paths, tmp_path) -> None:
    clean = Paths(tmp_path / "clean").ensure()
    write_golden_day(clean)
    write_golden_day(home, torn=True)
    build_bundle(DAY, clean)
    res = build_bundle(DAY, home)
    for name in ARTIFACT_MODELS:
        a = (clean.telemetry_day(DAY) / "computed" / name).read_bytes()
        b = (home.telemetry_day(DAY) / "computed" / name).read_bytes()
        assert a == b, name
    by_name = {i.name: i for i in res.inputs}
    assert by_name["master_trade_log"].skipped_lines == 4  # bad JSON, array, text, torn tail
    assert any("torn" in n for n in res.notes)


def test_empty_day_every_artifact_valid(home: Paths) -> None:
    res = run_full_telemetry_extract(DAY, home, None, {})
    assert res["ok"] is True
    assert len(res["artifacts"]) == 16
    for name, model in ARTIFACT_MODELS.items():
        model.model_validate_json((home.telemetry_day(DAY) / "computed" / name).read_text())
    par = _load(home, "shadow_vs_live_parity.json")
    assert par["notes"]["parity_available"] is False and "parity unavailable" in par["notes"]["reason"]
    report = (home.telemetry_day(DAY) / f"FULL_TELEMETRY_{DAY}.md").read_text()
    assert "parity unavailable" in report


def test_v1_logs_missing_states_parity_unavailable(home: Paths) -> None:
    write_golden_day(home, v1_logs=False)
    build_bundle(DAY, home)
    par = _load(home, "shadow_vs_live_parity.json")
    assert par["notes"]["parity_available"] is False
    assert "attribution.jsonl" in par["notes"]["reason"]
    assert par["entry_parity"]["rows"] == [] and par["overlap"]["v2_entry_symbols"] == ["AAPL", "MSFT", "NVDA", "TSLA"]


def test_rerun_is_byte_identical_and_manifest_is_complete(golden: Paths) -> None:
    out = golden.telemetry_day(DAY)
    first = {p.name: p.read_bytes() for p in (out / "computed").iterdir()}
    manifest1 = json.loads((out / "telemetry_manifest.json").read_text())
    build_bundle(DAY, golden)
    second = {p.name: p.read_bytes() for p in (out / "computed").iterdir()}
    assert first == second and len(first) == 14
    manifest2 = json.loads((out / "telemetry_manifest.json").read_text())
    assert manifest1["content_sha256"] == manifest2["content_sha256"]
    inputs = {i["name"]: i for i in manifest2["inputs"]}
    assert inputs["master_trade_log"]["missing"] is False and inputs["master_trade_log"]["line_count"] == len(
        (golden.master_trade_log).read_text().splitlines())
    assert len(inputs["master_trade_log"]["sha256"]) == 64
    assert inputs["premarket_intel"]["missing"] is True
    assert {o["path"] for o in manifest2["outputs"]} >= {f"computed/{n}" for n in ARTIFACT_MODELS}
    assert manifest2["code_version"] != "" and "generated_at" in manifest2


def test_bad_date_is_a_failed_result_not_an_exception(home: Paths) -> None:
    res = run_full_telemetry_extract("2026-13-45", home, None, {})
    assert res["ok"] is False and res["artifacts"] == []
