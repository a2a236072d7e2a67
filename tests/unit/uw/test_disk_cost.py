"""Disk cost of one UW call: atomic writes everywhere, but only the fsyncs that buy something.

The usage state's correctness across processes comes from the flock and the page cache, not from
fsync: after a power cut UW's own counters (headers) restore the day's count. A response-cache
entry is fsynced (a reader never finds a torn entry) but its folder is not: losing the newest
entry after a power cut costs one request.
"""

from __future__ import annotations

import os
import stat

import orjson
import pytest

from src.core.state import inspect_state
from src.uw.response_cache import CachedResponse
from src.uw.usage import UsageState
from src.uw.uw_client import UWClient


@pytest.fixture
def fsynced(monkeypatch):
    """Every fsync during the test, as (path name, is_directory)."""
    seen: list[tuple[str, bool]] = []
    real = os.fsync

    def spy(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        seen.append((target, stat.S_ISDIR(os.fstat(fd).st_mode)))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return seen


def test_uncached_call_costs_no_fsync(paths, uw_server, settings_for, fsynced):
    client = UWClient(settings_for(uw_server.url), paths, caller="daemon")
    for day in ("01", "02", "03"):
        client.get("/api/market/market-tide", {"date": f"2026-11-{day}"}, cache=False)
    client.close()
    assert fsynced == []
    state = inspect_state(paths.uw_usage_state, UsageState)
    assert state.status == "ok" and state.value.calls_today == 3
    assert state.value.calls_by_caller == {"daemon": 3}


def test_cached_call_fsyncs_the_entry_only_never_a_folder(paths, uw_server, settings_for, fsynced):
    client = UWClient(settings_for(uw_server.url), paths, caller="intel")
    uw_server.answer(body={"data": [{"x": 1}]})
    first = client.get("/api/market/market-tide", {"date": "2026-11-02"})
    again = client.get("/api/market/market-tide", {"date": "2026-11-02"})
    assert again.from_cache and again.data == first.data == {"data": [{"x": 1}]}
    assert len(uw_server.hits) == 1
    assert not any(is_dir for _, is_dir in fsynced)
    assert len(fsynced) == 1 and "uw_cache" in fsynced[0][0]  # the entry's temp file, before its rename
    entries = list(paths.uw_cache_dir.glob("*/*.json"))
    assert len(entries) == 1 and not list(paths.uw_cache_dir.glob("*/.*.tmp"))
    assert CachedResponse.model_validate(orjson.loads(entries[0].read_bytes())).body == {"data": [{"x": 1}]}
    assert not list(paths.uw_usage_state.parent.glob(".*.tmp"))
