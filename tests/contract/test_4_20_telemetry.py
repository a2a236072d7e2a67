"""Contract 4.20: telemetry completeness + equalizer (read-only, idempotent, best-effort bundle)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from src.core.paths import REPO_ROOT, Paths
from src.telemetry.bundle import build_bundle
from src.telemetry.models import ARTIFACT_MODELS
from src.telemetry.regression import telemetry_checks
from tests.unit.telemetry.golden_day import DAY, write_golden_day

REQUIRED = {
    "feature_equalizer_builder.json", "long_short_analysis.json", "exit_intel_completeness.json",
    "feature_value_curves.json", "regime_sector_feature_matrix.json", "shadow_vs_live_parity.json",
    "entry_parity_details.json", "score_distribution_curves.json", "regime_timeline.json",
    "feature_family_summary.json", "replacement_telemetry_expanded.json", "live_vs_shadow_pnl.json",
    "signal_performance.json", "signal_weight_recommendations.json",
}


def _snapshot(paths: Paths) -> dict:
    return {p: p.read_bytes() for p in paths.root.rglob("*") if p.is_file() and "telemetry" not in p.parts}


def test_4_20_1_read_only_idempotent_best_effort(home: Paths) -> None:
    """4.20.1: no state mutation beyond telemetry/<day>/; same inputs -> same outputs; missing inputs recorded."""
    write_golden_day(home)
    before = _snapshot(home)
    build_bundle(DAY, home)
    first = {p.name: p.read_bytes() for p in (home.telemetry_day(DAY) / "computed").iterdir()}
    build_bundle(DAY, home)
    second = {p.name: p.read_bytes() for p in (home.telemetry_day(DAY) / "computed").iterdir()}
    assert _snapshot(home) == before and first == second
    manifest = json.loads((home.telemetry_day(DAY) / "telemetry_manifest.json").read_text())
    assert any(i["missing"] for i in manifest["inputs"])


def test_4_20_2_generator_writes_the_whole_bundle(home: Paths) -> None:
    """4.20.2: `scripts/run_full_telemetry_extract.py --date` -> report, manifest and the 14 computed files."""
    write_golden_day(home)
    env = dict(os.environ, STOCKBOT_HOME=str(home.root), PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run([sys.executable, "scripts/run_full_telemetry_extract.py", "--date", DAY, "--json"],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    day_dir = home.telemetry_day(DAY)
    assert (day_dir / f"FULL_TELEMETRY_{DAY}.md").is_file() and (day_dir / "telemetry_manifest.json").is_file()
    assert {p.name for p in (day_dir / "computed").iterdir()} == REQUIRED == set(ARTIFACT_MODELS)


def test_4_20_3_to_10_required_keys_on_an_empty_day(home: Paths) -> None:
    """4.20.3-4.20.10: every artifact schema-valid with keys present even when arrays are empty."""
    build_bundle(DAY, home)
    comp = home.telemetry_day(DAY) / "computed"
    ls = json.loads((comp / "long_short_analysis.json").read_text())
    for block in ("overall", "long_only", "short_only"):
        assert {"win_rate", "avg_pnl_usd", "avg_win_usd", "avg_loss_usd", "expectancy_usd"} <= set(ls[block])
    pnl = json.loads((comp / "live_vs_shadow_pnl.json").read_text())
    for w in ("24h", "48h", "5d"):
        for b in ("live", "shadow", "delta"):
            assert set(pnl["windows"][w][b]) >= {"pnl_usd", "expectancy_usd", "trade_count", "win_rate"}
    assert pnl["per_symbol"] == []
    rec = json.loads((comp / "signal_weight_recommendations.json").read_text())
    assert rec["advisory_only"] is True and rec["applied"] is False and rec["recommendations"] == []
    assert all(c["ok"] for c in telemetry_checks(DAY, home))


def test_4_20_8_regression_fails_on_missing_key(home: Paths) -> None:
    """4.20.8: regression MUST fail if any computed artifact or required key is missing, malformed, or empty."""
    build_bundle(DAY, home)
    p = home.telemetry_day(DAY) / "computed" / "exit_intel_completeness.json"
    data = json.loads(p.read_text())
    data.pop("missing_component_counts")
    p.write_text(json.dumps(data))
    failed = [c for c in telemetry_checks(DAY, home) if not c["ok"]]
    assert [c["name"] for c in failed] == ["telemetry:exit_intel_completeness.json"]
