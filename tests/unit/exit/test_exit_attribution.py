"""Every exit attribution line carries the contract 4.20.3 keys; unknowns are null and listed."""

from __future__ import annotations

import pytest

from src.core.jsonio import read_jsonl
from src.core.paths import Paths
from src.exit.exit_attribution import ATTRIBUTION_KEYS, append_exit_attribution, build_exit_attribution, iter_day_exits
from src.exit.exit_score_v2 import compute_exit_score
from src.exit.models import EXIT_COMPONENTS, ExitV2Config
from src.exit.replacement_logic_v2 import decide_replacement

CFG = ExitV2Config()


def _full(**kw):
    score = compute_exit_score(
        "long",
        {
            "v2_score": 4,
            "regime": "risk_on",
            "sector_multiplier": 1.0,
            "vol_pct": 2,
            "flow_net_premium": 1e6,
            "darkpool_notional": 2e6,
            "sentiment": 1,
        },
        {
            "v2_score": 3,
            "regime": "risk_on",
            "sector_multiplier": 1.0,
            "vol_pct": 2,
            "flow_net_premium": 5e5,
            "darkpool_notional": 2e6,
            "sentiment": 0.5,
        },
        CFG.score,
    )
    args = dict(
        symbol="aapl",
        side="long",
        trade_id="t1",
        entry_price=100.0,
        exit_price=101.5,
        qty=10,
        entry_ts="2026-11-27T15:00:00+00:00",
        exit_ts="2026-11-27T16:30:00+00:00",
        exit_reason="profit_target",
        entry_regime="risk_on",
        exit_regime="risk_on",
        entry_sector_profile="TECH",
        exit_sector_profile="TECH",
        exit_score=score,
    )
    args.update(kw)
    return build_exit_attribution(**args)


def test_complete_record_has_values_and_no_missing() -> None:
    r = _full()
    assert all(k in r for k in ATTRIBUTION_KEYS)
    assert r["pnl"] == pytest.approx(15.0) and r["pnl_pct"] == pytest.approx(1.5)
    assert r["time_in_trade_minutes"] == 90.0
    assert r["v2_exit_components"]["flow_deterioration"] == 0.5
    assert r["missing_fields"] == []
    assert r["symbol"] == "AAPL" and r["source"] == "shadow"


def test_short_pnl_sign() -> None:
    r = _full(side="short", exit_price=98.0)
    assert r["pnl"] == pytest.approx(20.0) and r["pnl_pct"] == pytest.approx(2.0)


def test_everything_missing_keeps_keys_as_null_and_lists_them() -> None:
    r = build_exit_attribution(
        symbol="X",
        side="long",
        trade_id=None,
        entry_price=None,
        exit_price=None,
        qty=None,
        entry_ts=None,
        exit_ts=None,
        exit_reason="stop_loss",
    )
    for k in ATTRIBUTION_KEYS:
        assert k in r
    assert set(r["v2_exit_components"]) == set(EXIT_COMPONENTS)
    assert all(v is None for v in r["v2_exit_components"].values())
    expected = set(ATTRIBUTION_KEYS) - {"v2_exit_components"} | {f"v2_exit_components.{c}" for c in EXIT_COMPONENTS}
    assert set(r["missing_fields"]) == expected


def test_replacement_adds_candidate_and_reasoning(home: Paths) -> None:
    dec = decide_replacement("AAPL", 0.6, 3.0, 60, [{"symbol": "MSFT", "v2_score": 4.0}], CFG.replacement)
    r = _full(exit_reason="replacement", replacement=dec)
    assert r["exit_reason"] == "replacement"
    assert r["replacement_candidate"] == "MSFT"
    assert r["replacement_reasoning"]["candidate_v2_score"] == 4.0
    append_exit_attribution(home, r)
    append_exit_attribution(home, _full(exit_ts="2026-11-28T16:00:00Z"))
    rows, skipped = read_jsonl(home.exit_attribution_log)
    assert skipped == 0 and len(rows) == 2
    for row in rows:
        assert all(k in row for k in ATTRIBUTION_KEYS) and "missing_fields" in row
    assert [x["trade_id"] for x in iter_day_exits(home, "2026-11-27")] == ["t1"]
    assert len(list(iter_day_exits(home, "2026-11-28"))) == 1
