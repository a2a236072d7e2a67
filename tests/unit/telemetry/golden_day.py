"""A hand-built trading day whose telemetry is worked out by hand in the tests.

Day 2026-03-04 (a Wednesday, EST): the session closes 21:00 UTC, so the PnL windows are
24h = (03-03 21:00, 03-04 21:00], 48h from 03-02 21:00, 5d from 02-27 21:00 (all UTC).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from src.core.jsonio import append_jsonl, atomic_write_json
from src.core.paths import Paths

DAY = "2026-03-04"


def trade(tid: str, symbol: str, side: str, source: str, exit_ts: str | None, pnl: float, signals: list[str],
          features: dict[str, float], regime: str = "risk_on", sector: str = "Technology") -> dict[str, Any]:
    return {
        "trade_id": tid, "symbol": symbol, "side": side, "is_live": source == "live", "is_shadow": source == "shadow",
        "entry_ts": "2026-03-04T14:00:00Z", "exit_ts": exit_ts, "entry_price": 100.0, "exit_price": 101.0,
        "size": 10, "realized_pnl_usd": pnl, "signals": signals, "feature_snapshot": features,
        "regime_snapshot": {"regime": regime, "confidence": 0.8}, "exit_reason": "target", "source": source,
        "schema_version": 1, "sector": sector,
    }


TRADES = [
    # live (v1)
    trade("L1", "AAPL", "long", "live", "2026-03-04T15:00:00Z", 100.0, ["options_flow", "dark_pool"],
          {"flow_score": 2.0, "dp_notional": 1.0}),
    trade("L2", "MSFT", "short", "live", "2026-03-04T16:00:00Z", -50.0, ["options_flow"], {"flow_score": 1.0}),
    trade("L3", "TSLA", "long", "live", "2026-03-03T18:00:00Z", -30.0, [], {}),  # previous day: 48h + 5d only
    trade("L4", "SPY", "long", "live", "2026-03-01T15:00:00Z", 200.0, [], {}),  # 5d only
    # shadow (v2)
    trade("S1", "AAPL", "long", "shadow", "2026-03-04T15:05:00Z", 120.0, ["options_flow", "dark_pool"],
          {"flow_score": 2.5, "dp_notional": 1.2, "iv_rank": 0.3}),
    trade("S2", "MSFT", "short", "shadow", "2026-03-04T16:10:00Z", 40.0, ["options_flow", "gamma_exposure"],
          {"flow_score": 1.5, "gex": -0.5}),
    trade("S3", "NVDA", "long", "shadow", "2026-03-04T17:00:00Z", -60.0, ["gamma_exposure"],
          {"flow_score": 0.5, "gex": 0.8}, regime="risk_off"),
    trade("S4", "XOM", "short", "shadow", "2026-03-04T18:00:00Z", 0.0, ["dark_pool"], {"dp_notional": 0.4},
          regime="risk_off", sector="Energy"),
    trade("S5", "AMD", "long", "shadow", "2026-02-27T20:00:00Z", 10.0, [], {}),  # before every window
    # 17:30 New York: on the day, but after the close that ends the windows
    trade("S6", "TSLA", "short", "shadow", "2026-03-04T22:30:00Z", 25.0, [], {"flow_score": 1.0},
          regime="risk_off", sector="Consumer"),
    # still open: no exit_ts, ignored
    trade("S7", "META", "long", "shadow", None, 0.0, [], {}),
]

V1_ENTRIES = [
    {"ts": "2026-03-04T14:30:00Z", "symbol": "AAPL", "side": "long", "score": 3.5, "price": 180.0,
     "components": {"options_flow": 2.0, "dark_pool": 1.0}, "decision_id": "d1", "schema_version": 1},
    {"ts": "2026-03-04T15:00:00Z", "symbol": "MSFT", "side": "short", "score": 3.0, "price": 400.0,
     "components": {"dark_pool": 1.5, "options_flow": 0.5}, "decision_id": "d2", "schema_version": 1},
    {"ts": "2026-03-04T16:00:00Z", "symbol": "GOOG", "side": "long", "score": 2.9, "price": 150.0,
     "components": {"gamma_exposure": 1.4}, "decision_id": "d3", "schema_version": 1},
    {"ts": "2026-03-04T17:00:00Z", "symbol": "TSLA", "side": "long", "score": 3.1, "price": 200.0,
     "components": {"options_flow": 1.0}, "decision_id": "d4", "schema_version": 1},
    {"ts": "2026-03-03T17:00:00Z", "symbol": "IBM", "side": "long", "score": 3.1, "price": 200.0,
     "components": {}, "decision_id": "d0", "schema_version": 1},  # previous day
]


def decision(ts: str, symbol: str, action: str, side: str, v2: float, price: float, regime: str,
             comps: dict[str, float] | None = None) -> dict[str, Any]:
    return {"ts": ts, "symbol": symbol, "action": action, "side": side, "v2_score": v2, "v1_score": v2 - 0.5,
            "price": price, "components": comps or {"options_flow": 1.0}, "reason": "test", "regime": regime,
            "sector": "Technology", "schema_version": 1}


SHADOW_DECISIONS = [
    decision("2026-03-04T14:30:30Z", "AAPL", "entry", "long", 4.0, 180.1, "risk_on"),  # 30 s, 0.06 % -> perfect
    decision("2026-03-04T15:10:00Z", "MSFT", "entry", "short", 3.6, 401.0, "risk_on",
             {"dark_pool": 2.0}),  # 600 s, 0.25 % -> near
    decision("2026-03-04T15:30:00Z", "NVDA", "entry", "long", 3.8, 900.0, "risk_on"),  # no v1 -> missing_in_v1
    decision("2026-03-04T16:30:00Z", "XOM", "refused", "short", 2.0, 100.0, "risk_off"),
    decision("2026-03-04T17:00:30Z", "TSLA", "entry", "short", 3.2, 200.0, "risk_off"),  # side differs -> divergent
    decision("2026-03-04T18:00:00Z", "AMD", "exit", "long", 1.0, 150.0, "risk_off"),
    decision("2026-03-04T18:30:00Z", "NVDA", "replacement", "long", 4.2, 905.0, "risk_off"),
]

_FULL_COMPONENTS = {k: 0.1 for k in ("vol_expansion", "regime_shift", "sector_shift", "flow_deterioration",
                                     "darkpool_deterioration", "sentiment_deterioration", "score_deterioration")}


def exit_record(ts: str | None, symbol: str, **over: Any) -> dict[str, Any]:
    rec = {"symbol": symbol, "pnl": 12.0, "pnl_pct": 0.5, "entry_price": 100.0, "exit_price": 100.5, "qty": 10,
           "time_in_trade_minutes": 42, "entry_regime": "risk_on", "exit_regime": "risk_on",
           "entry_sector_profile": {"sector": "Technology"}, "exit_sector_profile": {"sector": "Technology"},
           "v2_exit_score": 0.7, "v2_exit_components": dict(_FULL_COMPONENTS), "exit_reason": "v2_exit_score"}
    if ts is not None:
        rec["ts"] = ts
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not _DROP}


_DROP = object()
_PARTIAL = {k: v for k, v in _FULL_COMPONENTS.items() if k not in ("sector_shift", "score_deterioration")}
EXIT_RECORDS = [
    exit_record("2026-03-04T15:05:00Z", "AAPL"),  # complete
    exit_record("2026-03-04T16:10:00Z", "MSFT", pnl_pct=_DROP, v2_exit_components=_PARTIAL),
    exit_record("2026-03-04T17:00:00Z", "NVDA", exit_reason="replacement", replacement_candidate="AMD",
                replacement_reasoning={"score_gap": 1.2}, v2_exit_components=_DROP, pnl=-60.0),
    exit_record("2026-03-03T17:00:00Z", "IBM"),  # previous day
    exit_record(None, "XOM"),  # no timestamp at all
]

V1_EXITS = [{"ts": "2026-03-04T15:00:00Z", "symbol": "AAPL", "pnl": 100.0},
            {"ts": "2026-03-04T16:00:00Z", "symbol": "MSFT", "pnl": -50.0}]


def write_golden_day(paths: Paths, *, v1_logs: bool = True, torn: bool = False) -> None:
    def put(path: Path, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            append_jsonl(path, r)
        if torn:
            with open(path, "ab") as fh:
                fh.write(b'{"symbol": "BROKEN", "realized_pnl_usd": 1\n[1, 2, 3]\nnot json at all\n{"ts": "2026-03-04T')

    put(paths.master_trade_log, TRADES)
    put(paths.shadow_trades_log, SHADOW_DECISIONS)
    put(paths.exit_attribution_log, EXIT_RECORDS)
    if v1_logs:
        put(paths.attribution_log, V1_ENTRIES)
        put(paths.exits_log, V1_EXITS)
    atomic_write_json(paths.regime_state, {"regime": "risk_off", "confidence": 0.7, "evidence": {},
                                           "as_of": "2026-03-04T20:00:00Z"})
