"""Contract 4.20.11: logs/master_trade_log.jsonl is an append-only unified trade log; each line has
trade_id, symbol, side, is_live, is_shadow, entry_ts, exit_ts, entry_price, exit_price, size,
realized_pnl_usd, signals[], feature_snapshot{}, regime_snapshot{}, exit_reason, source (live|shadow).
"Append-only; never rewrites history." v1 writes one line per closed live trade.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from src.core.jsonio import read_jsonl
from src.core.paths import Paths
from src.engine.config import StrategyV1Config
from src.engine.positions import BookState, Position
from src.engine.reconcile import Repairs, record_exit_fill
from tests.integration.engine.sim_harness import make_engine, serve_sim, strong, write_cache

REQUIRED = {
    "trade_id": str,
    "symbol": str,
    "side": str,
    "is_live": bool,
    "is_shadow": bool,
    "entry_ts": str,
    "exit_ts": str,
    "entry_price": float,
    "exit_price": float,
    "size": float,
    "realized_pnl_usd": float,
    "signals": list,
    "feature_snapshot": dict,
    "regime_snapshot": dict,
    "exit_reason": str,
    "source": str,
    "schema_version": int,
}


def _utc(ts: str) -> datetime:
    dt = datetime.fromisoformat(ts)
    assert dt.utcoffset() == timedelta(0), ts
    return dt


def test_live_session_lines_and_append_only(home: Paths, tmp_path: Path) -> None:
    syms = ["AAPL", "MSFT", "NVDA", "AMZN", "META", "JPM", "XOM", "UNH"]
    snapshots: list[bytes] = []
    with serve_sim(tmp_path) as sim:
        eng = make_engine(home, sim)
        eng.startup()
        for _ in range(90):
            now = sim.clock.now().timestamp()
            write_cache(home, {s: strong(now=now) for s in syms}, now)
            eng.run_once()
            if home.master_trade_log.exists():
                snapshots.append(home.master_trade_log.read_bytes())
            sim.clock.advance(60)
    rows, skipped = read_jsonl(home.master_trade_log)
    assert rows and skipped == 0
    for r in rows:
        for k, typ in REQUIRED.items():
            assert isinstance(r.get(k), typ) or (typ is float and isinstance(r.get(k), int)), (k, r.get(k))
        assert r["is_live"] is True and r["is_shadow"] is False and r["source"] == "live"
        assert r["side"] in ("long", "short") and r["size"] > 0
        assert _utc(r["exit_ts"]) >= _utc(r["entry_ts"])
        sign = 1 if r["side"] == "long" else -1
        assert abs(r["realized_pnl_usd"] - sign * (r["exit_price"] - r["entry_price"]) * r["size"]) < 0.05
        assert r["signals"] and "components" in r["feature_snapshot"]
    assert len({r["trade_id"] for r in rows}) == len(rows)
    # append-only: every earlier state of the file is a prefix of every later one
    for a, b in zip(snapshots, snapshots[1:], strict=False):
        assert b.startswith(a)


def test_replayed_exit_fill_writes_one_line(home: Paths) -> None:
    """A restart that replays an exit fill (killed before the book was saved) adds no second line."""
    now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    cfg = StrategyV1Config()
    for _ in range(2):
        pos = Position(
            symbol="KO",
            qty=10,
            entry_price=60.0,
            entry_ts=(now - timedelta(minutes=30)).isoformat(),
            trade_id="v1-20261124-KO-buy-entry-1",
            signals=["flow"],
        )
        book = BookState(positions={"KO": pos})
        record_exit_fill(book, home, now, cfg, pos, 10, 60.6, "profit_target", "v1-20261124-KO-sell-exit-1", Repairs())
        assert "KO" not in book.positions
    rows, _ = read_jsonl(home.master_trade_log)
    assert len(rows) == 1 and abs(rows[0]["realized_pnl_usd"] - 6.0) < 1e-9
