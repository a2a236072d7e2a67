"""Both simulators together: one price at one clock time, and the run_sim entrypoint's lifecycle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import requests

from src.core.clock import FixedClock
from src.core.paths import REPO_ROOT, Paths
from src.sim import alpaca_sim, uw_sim
from src.sim.market import MarketModel
from tests.integration.sim.serving import serve
from tests.unit.sim.conftest import MID_SESSION

UW_AUTH = {"Authorization": "Bearer k"}
ALPACA_AUTH = {"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}
RUN_SIM = REPO_ROOT / "services" / "market-sim" / "run_sim.py"


def test_uw_and_alpaca_agree_on_price_at_the_same_clock(tmp_path: Path) -> None:
    clock = FixedClock(MID_SESSION)
    with serve(uw_sim.create_app(clock=clock)) as uw, serve(alpaca_sim.create_app(tmp_path / "l.json", clock=clock)) as ap:
        for _ in range(3):
            candle = requests.get(f"{uw}/api/stock/AAPL/ohlc/1m", headers=UW_AUTH, timeout=10).json()["data"][0]
            trade = requests.get(f"{ap}/v2/stocks/trades/latest?symbols=AAPL", headers=ALPACA_AUTH, timeout=10).json()
            assert candle["end_time"] == clock.now().isoformat().replace("+00:00", "Z")
            assert float(candle["close"]) == trade["trades"]["AAPL"]["p"]
            clock.advance(7 * 60)


def test_run_sim_serves_both_and_stops_on_sigterm(home: Paths) -> None:
    env = dict(os.environ, STOCKBOT_CLOCK_SIM_START=MID_SESSION.isoformat(), STOCKBOT_CLOCK_SPEED="60")
    proc = subprocess.Popen([sys.executable, str(RUN_SIM), "--uw-port", "0", "--alpaca-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("market-sim ready"), line + proc.stderr.read()  # type: ignore[union-attr]
        urls = dict(part.split("=", 1) for part in line.split()[2:])
        assert urls["uw"].startswith("http://127.0.0.1:") and Path(urls["ledger"]) == home.sim_alpaca_ledger
        tide = requests.get(f"{urls['uw']}/api/market/market-tide", headers=UW_AUTH, timeout=30)
        assert tide.status_code == 200 and tide.headers["x-uw-daily-req-count"] == "1"
        trade = requests.get(f"{urls['alpaca']}/v2/stocks/trades/latest?symbols=SPY", headers=ALPACA_AUTH,
                             timeout=10).json()["trades"]["SPY"]
        sim_now = datetime.fromisoformat(trade["t"].replace("Z", "+00:00"))
        assert MID_SESSION < sim_now < MID_SESSION + timedelta(hours=2)  # the accelerated clock from env
        assert trade["p"] == MarketModel.shared(7).price("SPY", sim_now)
        order = requests.post(f"{urls['alpaca']}/v2/orders", headers=ALPACA_AUTH, timeout=10,
                              json={"symbol": "SPY", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"})
        assert order.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert home.sim_alpaca_ledger.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
