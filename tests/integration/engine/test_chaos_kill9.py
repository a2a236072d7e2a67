"""Chaos: the supervisor runs the engine against the Alpaca simulator while the engine is SIGKILLed
at random moments (>= 20 times). Afterwards: no order was sent twice, the engine's positions equal
the broker's, and every state file loads cleanly.

Time is accelerated (60x: one simulated minute per real second), so the run covers about an hour
of a simulated NYSE session in roughly a minute and a half of real time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import requests
from werkzeug.serving import make_server

from src.core.clock import AcceleratedClock
from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.core.state import LoadStatus, inspect_state
from src.engine.models import Heartbeat, SupervisorState
from src.engine.orders import parse_client_order_id
from src.engine.positions import BookState

from .sim_harness import write_cache

pytestmark = pytest.mark.slow

SIM_START = datetime(2026, 11, 24, 14, 40, tzinfo=UTC)  # 09:40 New York
SPEED = 60.0
KILLS = 22
SYMBOLS = [
    "AAPL",
    "MSFT",
    "NVDA",
    "AMZN",
    "META",
    "TSLA",
    "AMD",
    "JPM",
    "XOM",
    "UNH",
    "BAC",
    "KO",
    "PG",
    "WMT",
    "NKE",
    "DIS",
    "BA",
    "CAT",
    "GE",
    "UBER",
    "PLTR",
    "COIN",
    "INTC",
    "MU",
]


def _record(i: int, until: float, phase: int = 0) -> dict:
    bullish = (i + phase) % 4 != 3  # a quarter bearish, rotating: reversals make the book churn
    big, small = 1_200_000.0 + 40_000 * i, 120_000.0
    return {
        "last_update": until,
        "flow": {
            "call_premium": big if bullish else small,
            "put_premium": small if bullish else big,
            "sweep_count": 3 + i % 5,
            "block_count": i % 2,
            "repeated_hits": i % 4,
            "sentiment": "BULLISH" if bullish else "BEARISH",
        },
        "dark_pool": {"print_count": 5, "total_notional": 10e6 + 2e6 * i},
        "greek_exposure": {"net_gamma": (1 if bullish else -1) * 2e6},
    }


def _engine_pid(paths: Paths) -> int | None:
    st = inspect_state(paths.supervisor_state, SupervisorState).value
    return st.engine_pid if st else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _wait_new_engine(paths: Paths, old: int | None, deadline: float) -> int:
    while time.time() < deadline:
        pid = _engine_pid(paths)
        if pid and pid != old and _alive(pid):
            return pid
        time.sleep(0.05)
    raise AssertionError("the supervisor did not restart the engine in time")


def test_kill9_never_duplicates_orders(home: Paths, tmp_path: Path) -> None:
    real_start = time.time()
    clock = AcceleratedClock(SIM_START, SPEED, real_start)
    from src.sim.alpaca_sim import create_app

    ledger_path = tmp_path / "alpaca_ledger.json"
    server = make_server("127.0.0.1", 0, create_app(ledger_path, clock=clock), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    until = SIM_START.timestamp() + 6 * 3600
    write_cache(home, {s: _record(i, until) for i, s in enumerate(SYMBOLS)}, until)

    env = {
        **os.environ,
        "STOCKBOT_HOME": str(home.root),
        "STOCKBOT_MODE": "sim",
        "ALPACA_BASE_URL": url,
        "ALPACA_API_KEY": "sim",
        "ALPACA_SECRET_KEY": "sim",
        "STOCKBOT_CYCLE_INTERVAL_S": "30",
        "STOCKBOT_CLOCK_SIM_START": SIM_START.isoformat(),
        "STOCKBOT_CLOCK_SPEED": str(SPEED),
        "STOCKBOT_CLOCK_REAL_START": repr(real_start),
        "STOCKBOT_SHADOW_ENABLED": "false",
        "STOCKBOT_RESTART_BACKOFF_INITIAL_S": "0.1",
        "STOCKBOT_RESTART_BACKOFF_MAX_S": "0.3",
        "STOCKBOT_CRASH_LOOP_RESTARTS": "1000",
        "STOCKBOT_KILL_TIMEOUT_S": "10",
        "PYTHONUNBUFFERED": "1",
    }
    sup = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "services" / "supervisor" / "deploy_supervisor.py")],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    rng = random.Random(1234)
    kills = 0
    try:
        pid = _wait_new_engine(home, None, time.time() + 30)
        while kills < KILLS:
            # anywhere from mid-import to a few cycles in: start-up, reconcile, submit, sleep
            time.sleep(rng.uniform(0.2, 3.0))
            phase = int((time.time() - real_start) // 8)
            write_cache(home, {s: _record(i, until, phase) for i, s in enumerate(SYMBOLS)}, until)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
                kills += 1
            pid = _wait_new_engine(home, pid, time.time() + 30)
        time.sleep(4.0)  # a few clean cycles: the last restart reconciles what the last kill left
    finally:
        sup.send_signal(signal.SIGTERM)
        try:
            sup.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sup.kill()
            sup.wait()
    try:
        ledger = requests.get(f"{url}/_sim/ledger", timeout=10).json()
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert kills >= 20

    # 1. no order was sent twice: unique client ids, and never two entries for one symbol open at once
    orders = sorted(ledger["orders"].values(), key=lambda o: o["created_at"])
    cids = [o["client_order_id"] for o in orders]
    assert len(cids) == len(set(cids))
    assert len(orders) >= 10, "the engine should have traded during the run"
    net: dict[str, float] = defaultdict(float)
    for o in orders:
        parsed = parse_client_order_id(o["client_order_id"], "v1")
        assert parsed is not None, o["client_order_id"]
        if parsed.intent == "entry":
            assert abs(net[o["symbol"]]) < 1e-9, f"second entry for {o['symbol']} while one was open: {o}"
        signed = o["filled_qty"] if o["side"] == "buy" else -o["filled_qty"]
        net[o["symbol"]] += signed
    # 2. the engine's book equals the broker's positions
    book = inspect_state(home.positions, BookState)
    assert book.status is LoadStatus.ok
    mine = {s: (p.qty if p.side == "long" else -p.qty) for s, p in book.value.positions.items()}
    theirs = {s: p["qty"] for s, p in ledger["positions"].items()}
    assert mine == theirs
    assert not book.value.pending
    # 3. every state file loads cleanly; nothing was quarantined; no torn log lines
    assert inspect_state(home.heartbeat, Heartbeat).status is LoadStatus.ok
    assert inspect_state(home.supervisor_state, SupervisorState).status is LoadStatus.ok
    for f in home.state.glob("*.json"):
        orjson.loads(f.read_bytes())
    assert not list(home.root.rglob("*.corrupted.*"))
    for log in (home.orders_log, home.run_log):
        _, skipped = read_jsonl(log)
        assert skipped == 0
    fills = [r for r in read_jsonl(home.orders_log)[0] if r["event"] == "fill"]
    assert fills
