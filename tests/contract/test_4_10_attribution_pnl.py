"""Contract 4.10 (intelligence attribution & P&L): logs/uw_attribution.jsonl (append-only),
reports/UW_INTEL_PNL_YYYY-MM-DD.md, state/uw_intel_pnl_summary.json. Attribution MUST be non-blocking
(never crash scoring); P&L may be sparse without exit logs and must still run safely."""

from __future__ import annotations

from datetime import timedelta

from src.core.jsonio import append_jsonl, read_jsonl
from src.core.state import inspect_state
from src.intel.composite_v2 import compute_composite_v2, load_intel_inputs
from src.intel.models import UwIntelPnlSummary
from src.intel.pnl import run_intel_pnl
from tests.contract.intel_support import MIDDAY, POSTMARKET, PREMARKET, SIM_DAY, write_intel_state

V1 = {"score": 3.0, "direction": "long", "components": {"flow": 2.0}}


def test_attribution_lines_are_appended_with_drivers(home) -> None:
    write_intel_state(home, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    a = compute_composite_v2("AAPL", V1, inputs)
    b = compute_composite_v2("XOM", dict(V1, direction="short"), inputs)
    rows, skipped = read_jsonl(home.uw_attribution_log)
    assert skipped == 0 and [r["symbol"] for r in rows] == ["AAPL", "XOM"]
    assert rows[0]["v2_score"] == a["score"] and rows[1]["v2_score"] == b["score"]
    assert rows[0]["delta"] == round(a["score"] - 3.0, 6)
    assert rows[0]["uw_adjustments"] == a["uw_adjustments"]
    assert rows[0]["top_driver"] == max(a["uw_adjustments"], key=lambda k: abs(a["uw_adjustments"][k]))
    assert rows[0]["inputs"]["premarket_intel"] == "ok" and rows[0]["regime"] == "risk_on"
    compute_composite_v2("AAPL", V1, inputs)
    assert len(read_jsonl(home.uw_attribution_log)[0]) == 3  # append-only


def test_attribution_failure_never_breaks_scoring(home, read_events) -> None:
    write_intel_state(home, PREMARKET)
    home.uw_attribution_log.mkdir(parents=True)  # a directory where the log belongs: every append fails
    out = compute_composite_v2("AAPL", V1, load_intel_inputs(home, MIDDAY))
    assert out["score"] > 0 and out["v2_metadata"]["composite_version"] == "v2"
    assert read_events(home, "uw_attribution_write_failed")


def test_pnl_without_any_logs_is_sparse_and_safe(home) -> None:
    res = run_intel_pnl(SIM_DAY, home, None, {"now": POSTMARKET.isoformat()})
    assert res["ok"] and res["sparse"]
    s = inspect_state(home.uw_intel_pnl_summary, UwIntelPnlSummary).value
    assert s is not None and s.sparse and s.trades_total == 0
    assert s.sources == {
        "exits": "missing",
        "shadow": "missing",
        "shadow_trades": "missing",
        "uw_attribution": "missing",
    }
    report = home.report("UW_INTEL_PNL", SIM_DAY).read_text()
    assert "Closed trades: 0" in report and "no closed trades" in report


def test_pnl_joins_exits_with_entry_attribution(home) -> None:
    write_intel_state(home, PREMARKET)
    inputs = load_intel_inputs(home, MIDDAY)
    compute_composite_v2("AAPL", V1, inputs)  # entry-time attribution: bullish intel lifted a long
    compute_composite_v2("XOM", V1, inputs)
    exit_ts = (MIDDAY + timedelta(hours=2)).isoformat()
    append_jsonl(
        home.shadow_trades_log,
        {
            "ts": exit_ts,
            "action": "exit",
            "symbol": "AAPL",
            "side": "long",
            "entry_ts": MIDDAY.isoformat(),
            "pnl": 120.0,
            "pnl_pct": 0.8,
        },
    )
    append_jsonl(
        home.exits_log,
        {"ts": exit_ts, "symbol": "XOM", "side": "long", "realized_pnl_usd": -40.0, "entry_ts": MIDDAY.isoformat()},
    )
    append_jsonl(home.shadow_trades_log, {"ts": exit_ts, "action": "entry", "symbol": "MSFT", "side": "long"})
    append_jsonl(home.exits_log, {"ts": "2026-03-09T15:00:00+00:00", "symbol": "OLD", "pnl": 5.0})  # other day
    with open(home.exits_log, "ab") as fh:
        fh.write(b'{"torn": ')
    res = run_intel_pnl(SIM_DAY, home, None, {"now": POSTMARKET.isoformat()})
    s = inspect_state(home.uw_intel_pnl_summary, UwIntelPnlSummary).value
    assert res["ok"] and not s.sparse
    assert s.trades_total == 2 and s.trades_attributed == 2 and s.pnl_usd_total == 80.0
    flow = s.by_component["flow"]
    assert flow.trades == 2 and flow.helped == 1 and flow.hurt == 1 and flow.pnl_usd == 80.0
    assert s.by_sector["TECHNOLOGY"].pnl_usd == 120.0 and s.by_regime["risk_on"].trades == 2
    assert any("skipped" in n for n in s.notes)
    assert "| flow | 2 | 1 | 80.00 |" in home.report("UW_INTEL_PNL", SIM_DAY).read_text()
