"""The trade and decision readers' fast paths must agree with the general rules they short-cut."""

from __future__ import annotations

import pytest

from src.telemetry.readers import norm_side, parse_shadow_decision, parse_trade

BASE = {"symbol": "aapl", "realized_pnl_usd": 2.5, "exit_ts": "2026-03-04T15:00:00Z"}


@pytest.mark.parametrize("raw", ["long", "short", "buy", "sell", "BUY", "Sell_Short", "bearish", "", None, 3, "x"])
def test_side_matches_norm_side(raw: object) -> None:
    t = parse_trade({**BASE, "side": raw})
    assert t is not None and t.side == norm_side(raw)


@pytest.mark.parametrize("row,expected", [
    ({"source": "live"}, "live"),
    ({"source": "SHADOW"}, "shadow"),
    ({"source": "", "is_shadow": True}, "shadow"),
    ({"is_live": True}, "live"),
    ({"source": ["live"]}, "unknown"),
])
def test_source_rules(row: dict, expected: str) -> None:
    t = parse_trade({**BASE, **row})
    assert t is not None and t.source == expected


def test_signals_mixed_types_are_stringified_deduplicated_and_sorted() -> None:
    t = parse_trade({**BASE, "signals": ["dark_pool", 7, "dark_pool", None, {"a": 1}, "alpha"]})
    assert t is not None and t.signals == ("7", "alpha", "dark_pool")
    t2 = parse_trade({**BASE, "signals": ["b", "a", "b"]})
    assert t2 is not None and t2.signals == ("a", "b")


def test_sector_falls_back_past_an_empty_top_level_value() -> None:
    t = parse_trade({**BASE, "sector": "", "feature_snapshot": {"sector": 5},
                     "regime_snapshot": {"sector": "Energy", "regime": 3}})
    assert t is not None and (t.sector, t.regime) == ("Energy", "3")


def test_missing_pnl_needs_all_of_prices_and_size() -> None:
    row = {"symbol": "X", "side": "long", "entry_price": 10, "exit_price": 12}
    assert parse_trade(row) is None
    t = parse_trade({**row, "size": "2"})
    assert t is not None and t.pnl == 4.0


def test_only_shadow_entries_carry_components() -> None:
    row = {"ts": "2026-03-04T15:00:00Z", "symbol": "aapl", "components": {"dark_pool": 1.0}}
    entry = parse_shadow_decision({**row, "action": "Entry"})
    refused = parse_shadow_decision({**row, "action": "refused"})
    assert entry is not None and entry.action == "entry" and entry.components == {"dark_pool": 1.0}
    assert refused is not None and refused.action == "refused" and refused.components == {}


def test_stream_counts_lines_like_iter_jsonl(tmp_path) -> None:
    """Blank lines are not lines; stray whitespace (even non-JSON \\x0b/\\x0c) is stripped; torn lines count."""
    from src.core.jsonio import JsonlStats, iter_jsonl
    from src.telemetry.readers import ReadStats, stream

    path = tmp_path / "odd.jsonl"
    path.write_bytes(b'{"a":1}\n\n   \n\x0c{"a":2}\x0b\n[1]\n{torn\n \t{"a":3}\r\n5\n{"a":4}')
    st, js = ReadStats(str(path)), JsonlStats()
    assert list(stream(path, lambda r: r, st)) == list(iter_jsonl(path, js)) == [{"a": i} for i in (1, 2, 3, 4)]
    assert (st.lines, st.skipped, st.in_day) == (js.lines, js.skipped, 4) == (7, 3, 4)
