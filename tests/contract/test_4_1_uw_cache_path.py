"""Contract 4.1/4.2: the ONLY valid UW cache path is data/uw_flow_cache.json; the daemon writes exactly it."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime

import orjson

from src.core.clock import FixedClock
from src.core.paths import REPO_ROOT
from src.uw.daemon import FlowDaemon
from src.uw.flow_cache import FlowCache
from tests.integration.uw.conftest import make_settings
from tests.integration.uw.sim_server import running_sim


def test_paths_names_the_canonical_cache(home):
    assert home.uw_flow_cache == home.root / "data" / "uw_flow_cache.json"


def test_daemon_writes_only_the_canonical_cache(home):
    clock = FixedClock(datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    with running_sim(clock=clock) as sim:
        FlowDaemon(make_settings(sim.url, uw_default_core="AAPL"), home, clock).run(once=True)
    data_files = sorted(p.relative_to(home.root).as_posix() for p in (home.root / "data").rglob("*") if p.is_file())
    assert data_files == ["data/uw_flow_cache.json"]
    cache = FlowCache.model_validate(orjson.loads(home.uw_flow_cache.read_bytes()))
    assert cache.meta.written_by == "uw_flow_daemon" and "AAPL" in cache.symbols


def test_no_module_builds_a_cache_path_by_hand():
    """Only src/core/paths.py may spell the cache file name; everyone else asks Paths."""
    pattern = re.compile(r"^[\w./-]*flow_cache[\w-]*\.json$")
    offenders = []
    for d in ("src", "services", "scripts"):
        for f in (REPO_ROOT / d).rglob("*.py"):
            if f == REPO_ROOT / "src" / "core" / "paths.py":
                continue
            for node in ast.walk(ast.parse(f.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                    offenders.append(f"{f.relative_to(REPO_ROOT)}:{node.lineno}: {node.value}")
    assert offenders == []
