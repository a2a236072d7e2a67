"""Contract 4.3/4.4: a missing, empty or corrupt cache never stops the engine and is never silent."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from src.core.clock import FixedClock
from src.core.jsonio import atomic_write_json, read_jsonl
from src.core.settings import load_settings
from src.engine.cycle import Engine, Step
from src.uw.flow_cache import FlowCache


def _engine(home, steps):
    settings = load_settings(home=home.root)
    return Engine(settings, home, FixedClock(datetime(2026, 11, 30, 15, 0, tzinfo=UTC)), steps)


def _score_counting(ctx):
    ctx.counters["clusters"] = sum(1 for r in (ctx.cache.symbols if ctx.cache else {}).values() if r.get("flow"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "uw_cache_missing"),
        (b"", "uw_cache_empty"),
        (b'{"_meta": {"written_at": 1}, "symbols": {}}', "uw_cache_empty"),
        (b'{"_meta": {"written_at": "yesterday"}, "symbols": []', "uw_cache_corrupt"),
        (b"\x00\xff garbage", "uw_cache_corrupt"),
    ],
)
def test_4_3_bad_cache_events_and_engine_continues(home, read_events, content, expected):
    if content is not None:
        home.uw_flow_cache.write_bytes(content)
    eng = _engine(home, [Step("score", _score_counting)])
    for _ in range(2):
        result = eng.run_once()
        assert result.engine_status == "ok"
        assert expected in result.cache_events
    assert len(read_events(home, expected)) == 2
    if content is not None:
        assert home.uw_flow_cache.read_bytes() == content  # the engine never rewrites the daemon's file


def test_4_4_zero_clusters_never_silent(home, read_events):
    cache = FlowCache.model_validate(
        {"_meta": {"written_at": time.time()}, "symbols": {"AAPL": {"price": 1.0}, "MSFT": {"flow": {}}}}
    )
    atomic_write_json(home.uw_flow_cache, cache.model_dump(mode="json", by_alias=True))
    eng = _engine(home, [Step("score", _score_counting)])
    eng.clock = FixedClock(datetime.fromtimestamp(time.time(), UTC))
    r = eng.run_once()
    assert r.clusters == 0 and r.cache_events == ["uw_cache_empty_no_signals"]
    assert len(read_events(home, "uw_cache_empty_no_signals")) == 1


def test_4_4_run_log_invariant(home):
    """Across mixed cycles, every clusters:0 line in run.jsonl carries a cache event of the same cycle."""
    eng = _engine(home, [Step("score", _score_counting)])
    eng.run_once()  # missing
    home.uw_flow_cache.write_bytes(b"{")
    eng.run_once()  # corrupt
    atomic_write_json(home.uw_flow_cache, {"_meta": {"written_at": time.time()}, "symbols": {"A": {"flow": {"x": 1}}}})
    eng.clock = FixedClock(datetime.fromtimestamp(time.time(), UTC))
    eng.run_once()  # one cluster
    rows, _ = read_jsonl(home.run_log)
    assert [r["clusters"] for r in rows] == [0, 0, 1]
    for r in rows:
        if r["clusters"] == 0:
            assert r["cache_events"], r
    assert rows[2]["cache_events"] == []


def test_4_3_stale_cache_is_reported_not_hidden(home, read_events):
    atomic_write_json(home.uw_flow_cache, {"_meta": {"written_at": 1000.0}, "symbols": {"A": {"flow": {"x": 1}}}})
    eng = _engine(home, [Step("score", _score_counting)])
    r = eng.run_once()
    assert "uw_cache_stale" in r.cache_events
    assert read_events(home, "uw_cache_stale")[0]["details"]["written_at"] == 1000.0
