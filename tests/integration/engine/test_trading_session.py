"""The v1 path end to end against the Alpaca simulator: entries, exits, logs, state == broker."""

from __future__ import annotations

from collections import Counter

from src.core.jsonio import read_jsonl
from src.core.state import LoadStatus, inspect_state
from src.engine.positions import BookState

from .sim_harness import make_engine, strong, write_cache

SYMS = ["AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA", "AMD", "JPM", "XOM", "UNH"]


def test_first_cycle_enters_and_logs(home, sim) -> None:
    now = sim.clock.now().timestamp()
    write_cache(home, {s: strong(now=now) for s in SYMS[:3]}, now)
    eng = make_engine(home, sim)
    eng.startup()
    res = eng.run_once()
    assert res.engine_status == "ok", res.errors
    assert res.clusters == 3
    book = inspect_state(home.positions, BookState).value
    assert book is not None and set(book.positions) == set(SYMS[:3])
    assert sim.positions() == {s: p.qty for s, p in book.positions.items()}
    attr, _ = read_jsonl(home.attribution_log)
    assert {a["symbol"] for a in attr} == set(SYMS[:3])
    assert all(a["components"]["flow"] > 0 and a["schema_version"] == 1 for a in attr)
    orders, _ = read_jsonl(home.orders_log)
    assert Counter(o["event"] for o in orders)["fill"] == 3


def test_session_trades_exits_and_master_log(home, sim) -> None:
    eng = make_engine(home, sim)
    eng.startup()
    for _ in range(150):  # 150 simulated minutes, one cycle a minute
        now = sim.clock.now().timestamp()
        write_cache(home, {s: strong(now=now) for s in SYMS}, now)
        res = eng.run_once()
        assert not res.errors, res.errors
        sim.clock.advance(60)
    exits, _ = read_jsonl(home.exits_log)
    assert exits, "expected exits within 150 minutes"
    reasons = {e["reason"] for e in exits}
    assert reasons <= {
        "stop_loss",
        "trailing_stop",
        "profit_target",
        "time_exit",
        "stale_trade",
        "score_decay",
        "flow_reversal",
        "flatten_before_close",
    }
    master, _ = read_jsonl(home.master_trade_log)
    assert len(master) == len([e for e in exits if not e["partial"]])
    required = {
        "trade_id",
        "symbol",
        "side",
        "is_live",
        "is_shadow",
        "entry_ts",
        "exit_ts",
        "entry_price",
        "exit_price",
        "size",
        "realized_pnl_usd",
        "signals",
        "feature_snapshot",
        "regime_snapshot",
        "exit_reason",
        "source",
        "schema_version",
    }
    for m in master:
        assert required <= set(m)
        assert m["is_live"] is True and m["is_shadow"] is False and m["source"] == "live"
        assert m["side"] in ("long", "short") and m["exit_ts"] >= m["entry_ts"]
    assert len({m["trade_id"] for m in master}) == len(master)
    ledger = sim.ledger()
    assert len(ledger["client_ids"]) == len(ledger["orders"])
    book = inspect_state(home.positions, BookState)
    assert book.status is LoadStatus.ok
    assert {s: p.qty for s, p in book.value.positions.items()} == sim.positions()
