"""Whole sessions with the real engine, v1 strategy and the Alpaca simulator, shadow on vs off.

1. Shadow never places an order: with shadow on, every order in the simulator's ledger is one
   v1 logged, while logs/shadow_trades.jsonl holds v2 decisions and the master log holds both.
2. v1 is identical with shadow on and off: same broker ledger, same v1 orders, exits,
   attribution, live master-trade lines and positions, for the same simulated session.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from werkzeug.serving import make_server

from src.core.clock import FixedClock
from src.core.jsonio import read_jsonl
from src.core.paths import Paths
from src.core.settings import load_settings
from src.engine.cycle import Engine
from src.engine.pipeline import build_steps
from src.sim.alpaca_sim import create_app
from tests.integration.engine.sim_harness import SESSION_START, strong, write_cache
from tests.integration.shadow.fixtures import write_intel

SYMS = ["AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA", "AMD", "JPM", "XOM", "UNH"]
CYCLES = 120
# wall-clock stamps and ids minted per process; everything else must match exactly
VOLATILE = {
    "ts",
    "written_at",
    "logged_at",
    "duration_ms",
    "pid",
    "updated_at",
    "id",
    "order_id",
    "created_at",
    "submitted_at",
    "filled_at",
    "updated",
    "ts_epoch",
    "broker_order_id",
}


def run_session(root: Path, shadow: bool) -> tuple[Paths, dict[str, Any]]:
    paths = Paths(root / "home").ensure()
    clock = FixedClock(SESSION_START)
    app = create_app(root / "ledger.json", clock=clock, shortable=set())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        import requests

        url = f"http://127.0.0.1:{server.server_port}"
        settings = load_settings(home=paths.root, mode="sim", alpaca_base_url=url, shadow_enabled=shadow)
        startup, steps = build_steps(settings, paths, clock)
        assert ("shadow" in [s.name for s in steps]) is shadow
        eng = Engine(settings, paths, clock, steps, startup)
        write_intel(paths, clock.now(), SYMS)
        eng.startup()
        for i in range(CYCLES):
            now = clock.now().timestamp()
            # flow fades for half the names mid-session so v2 exit intel has something to see
            calls = {s: 1_500_000.0 if i < 60 or n % 2 == 0 else 300_000.0 for n, s in enumerate(SYMS)}
            write_cache(paths, {s: strong(now=now, calls=calls[s]) for s in SYMS}, now)
            res = eng.run_once()
            assert not res.errors, res.errors
            clock.advance(60)
        ledger = requests.get(f"{url}/_sim/ledger", timeout=5).json()
    finally:
        server.shutdown()
        t.join(timeout=5)
    return paths, ledger


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in sorted(obj.items()) if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _rows(path: Path, **match: Any) -> list[dict[str, Any]]:
    rows, _ = read_jsonl(path)
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[Paths, dict[str, Any]]]:
    return {flag: run_session(tmp_path_factory.mktemp(f"shadow_{flag}"), flag) for flag in (False, True)}


@pytest.mark.slow
def test_shadow_never_places_an_order(sessions) -> None:
    paths, ledger = sessions[True]
    orders = list(ledger["orders"].values())
    assert orders, "v1 should have traded"
    v1_client_ids = {o.get("client_order_id") for o in _rows(paths.orders_log)}
    assert {o["client_order_id"] for o in orders} <= v1_client_ids
    shadow = _rows(paths.shadow_trades_log)
    actions = Counter(r["action"] for r in shadow)
    assert actions["entry"] > 0, actions
    shadow_ids = {r.get("trade_id") for r in shadow if r.get("trade_id")}
    assert not shadow_ids & {o["client_order_id"] for o in orders}
    master, _ = read_jsonl(paths.master_trade_log)
    sources = Counter(m["source"] for m in master)
    assert sources["live"] > 0 and sources["shadow"] > 0, sources  # side by side (4.20.11)
    for m in master:
        assert m["is_shadow"] is (m["source"] == "shadow") and m["is_live"] is (m["source"] == "live")
    events = _rows(paths.system_events, event_type="shadow_order_attempt_blocked")
    assert events == []


@pytest.mark.slow
def test_v1_is_identical_with_shadow_on_and_off(sessions) -> None:
    (off, ledger_off), (on, ledger_on) = sessions[False], sessions[True]
    key = lambda o: o["client_order_id"]  # noqa: E731
    assert _strip(sorted(ledger_off["orders"].values(), key=key)) == _strip(
        sorted(ledger_on["orders"].values(), key=key)
    )
    assert _strip(ledger_off["positions"]) == _strip(ledger_on["positions"])
    for log in ("orders_log", "exits_log", "attribution_log"):
        a, b = _rows(getattr(off, log)), _rows(getattr(on, log))
        assert a, log
        assert _strip(a) == _strip(b), log
    assert _strip(_rows(off.master_trade_log, source="live")) == _strip(_rows(on.master_trade_log, source="live"))
    assert _rows(off.master_trade_log, source="shadow") == []
    assert _strip(orjson.loads(off.positions.read_bytes())) == _strip(orjson.loads(on.positions.read_bytes()))
    run_off = [(r["cycle"], r["engine_status"], r["counters"]) for r in _rows(off.run_log)]
    run_on = [(r["cycle"], r["engine_status"], r["counters"]) for r in _rows(on.run_log)]
    assert run_off == run_on


@pytest.mark.slow
def test_session_leaves_complete_exit_attribution_and_day_reports(sessions) -> None:
    from src.core.settings import Settings
    from src.exit.exit_attribution import ATTRIBUTION_KEYS
    from src.exit.exit_intel_jobs import run_exit_day_summary, run_exit_intel_pnl

    paths, _ = sessions[True]
    attribution, skipped = read_jsonl(paths.exit_attribution_log)
    assert attribution and skipped == 0
    for a in attribution:
        assert set(ATTRIBUTION_KEYS) <= set(a)
        # price, P&L, timing, regime and sector are all known in a simulated session
        for k in (k for k in ATTRIBUTION_KEYS if k != "v2_exit_components"):
            assert a[k] is not None, (k, a)
    day = SESSION_START.date().isoformat()
    assert run_exit_intel_pnl(day, paths, Settings(), {})["ok"]
    assert run_exit_day_summary(day, paths, Settings(), {})["ok"]
    assert f"Exits: {len(attribution)}" in paths.report("EXIT_INTEL_PNL", day).read_text()
    assert paths.report("EXIT_DAY_SUMMARY", day).exists()
