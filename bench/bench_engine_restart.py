"""Engine self-healing figures: time from `kill -9` of the engine to a fresh heartbeat from its
successor (supervisor with default backoff), and cycle duration on an empty UW cache.

Runs the real market simulator, the real supervisor and engine as subprocesses in a temp home.
Writes bench/results/engine_restart.json and prints one summary line.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from src.core.jsonio import read_jsonl  # noqa: E402
from src.core.paths import Paths  # noqa: E402
from src.core.state import inspect_state  # noqa: E402
from src.engine.models import Heartbeat  # noqa: E402

KILLS = 5


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(cond, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.01)
    raise TimeoutError("condition not met")


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    paths = Paths(home).ensure()
    uw, alp = _port(), _port()
    env = dict(
        os.environ,
        STOCKBOT_HOME=str(home),
        STOCKBOT_MODE="sim",
        STOCKBOT_SIM_PORT=str(uw),
        STOCKBOT_SIM_ALPACA_PORT=str(alp),
        ALPACA_BASE_URL=f"http://127.0.0.1:{alp}",
        ALPACA_API_KEY="sim",
        ALPACA_SECRET_KEY="sim",
        STOCKBOT_CYCLE_INTERVAL_S="1",
        STOCKBOT_RESTART_STABLE_S="2",  # each kill comes after a stable run: first-restart backoff
    )
    sim = subprocess.Popen([sys.executable, "services/market-sim/run_sim.py"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sup = subprocess.Popen([sys.executable, "services/supervisor/deploy_supervisor.py"], cwd=ROOT, env=env)
    heal_s: list[float] = []
    try:
        for _ in range(KILLS):
            hb = _wait(lambda: (h := inspect_state(paths.heartbeat, Heartbeat).value) and h.cycle >= 3 and h)
            time.sleep(2.5)
            killed_at = time.time()
            os.kill(hb.pid, signal.SIGKILL)
            _wait(lambda hb=hb, k=killed_at: (h := inspect_state(paths.heartbeat, Heartbeat).value) and h.pid != hb.pid and h.ts_epoch > k)
            heal_s.append(time.time() - killed_at)
        durations = [r["duration_ms"] for r in read_jsonl(paths.run_log)[0] if "uw_cache_missing" in r.get("cache_events", [])]
    finally:
        sup.send_signal(signal.SIGTERM)
        sup.wait(30)
        sim.send_signal(signal.SIGTERM)
        sim.wait(30)
    durations.sort()
    result = {
        "kills": KILLS,
        "kill_to_fresh_heartbeat_s": {"median": round(statistics.median(heal_s), 3), "max": round(max(heal_s), 3),
                                      "all": [round(x, 3) for x in heal_s]},
        "default_backoff_initial_s": 1.0,
        "empty_cache_cycle_ms": {"cycles": len(durations), "p50": durations[len(durations) // 2],
                                 "p99": durations[int(len(durations) * 0.99) - 1] if durations else None},
    }
    out = ROOT / "bench" / "results" / "engine_restart.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"engine restart: kill -9 -> fresh heartbeat median {result['kill_to_fresh_heartbeat_s']['median']}s "
          f"max {result['kill_to_fresh_heartbeat_s']['max']}s over {KILLS} kills; empty-cache cycle "
          f"p50 {result['empty_cache_cycle_ms']['p50']} ms p99 {result['empty_cache_cycle_ms']['p99']} ms "
          f"({len(durations)} cycles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
