"""Post-close analysis pack over the golden day and over an empty day."""

from __future__ import annotations

import json

from src.core.paths import Paths
from src.telemetry.analysis_pack import build_pack, run_postclose_analysis_pack
from src.telemetry.bundle import build_bundle
from tests.unit.telemetry.golden_day import DAY, write_golden_day

PNG = b"\x89PNG\r\n\x1a\n"


def test_golden_day_pack(home: Paths) -> None:
    write_golden_day(home)
    build_bundle(DAY, home)
    (home.reports / f"UW_INTEL_PNL_{DAY}.md").write_text("# intel pnl\n")
    res = build_pack(DAY, home)
    out = home.analysis_pack(DAY)
    summary = (out / f"MASTER_SUMMARY_{DAY}.md").read_text()
    for chart in ("equity_curves.png", "pnl_by_signal.png", "score_distributions.png"):
        assert (out / "charts" / chart).read_bytes().startswith(PNG)
        assert f"(charts/{chart})" in summary  # linked from the summary
    # live: L1 +100, L2 -50 closed today; shadow: S1 +120, S2 +40, S3 -60, S4 0, S6 +25
    assert "- live: 2 closed trades, 50.00 USD, win rate 50%" in summary
    assert "- shadow: 5 closed trades, 125.00 USD, win rate 60%" in summary
    assert (out / "telemetry" / "computed" / "long_short_analysis.json").is_file()
    assert (out / "state" / "regime_state.json").is_file()
    assert (out / "reports" / f"UW_INTEL_PNL_{DAY}.md").is_file()
    tail = (out / "logs_tail" / "master_trade_log.jsonl").read_text().splitlines()
    assert len(tail) == 11 and json.loads(tail[0])["trade_id"] == "L1"
    manifest = json.loads((out / "pack_manifest.json").read_text())
    assert "state/premarket_intel.json" in manifest["missing"]  # recorded, not fatal
    assert "state/premarket_intel.json" in summary
    assert "logs/run.jsonl" in res.missing


def test_empty_day_pack_still_generates(home: Paths) -> None:
    res = run_postclose_analysis_pack(DAY, home, None, {})
    assert res["ok"] is True, res["message"]
    out = home.analysis_pack(DAY)
    summary = (out / f"MASTER_SUMMARY_{DAY}.md").read_text()
    assert "telemetry bundle for this day is missing" in summary
    assert f"telemetry/{DAY}/" in json.loads((out / "pack_manifest.json").read_text())["missing"]
    assert all((out / c).read_bytes().startswith(PNG) for c in res["artifacts"] if c.endswith(".png"))


def test_pack_is_read_only_outside_its_folder(home: Paths) -> None:
    write_golden_day(home)
    before = {p: p.read_bytes() for p in home.root.rglob("*") if p.is_file()}
    build_pack(DAY, home)
    after = {p: p.read_bytes() for p in home.root.rglob("*") if p.is_file() and home.analysis_pack(DAY) not in p.parents}
    assert after == before
