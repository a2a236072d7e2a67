"""A simulated full trading day of the UW flow daemon against the UW simulator, 500 symbols.

The daemon, the real uw_client and the real simulator (in-process werkzeug server) share one
simulated clock that moves only when the daemon sleeps (a discrete-event clock: time stands still
while a request is in flight). A 24-hour New York day therefore runs as fast as the machine can
serve the requests the planner decides to send, and every figure is in simulated time.

Measures: requests used vs the daily limit, peak requests in any simulated minute vs the
per-minute limit, 429s seen by the client, and two p95 ages sampled every simulated minute during
market hours, for each symbol's record and for its flow family (among symbols that have had an
alert today): "data age" (now - last_update, when the values last changed) and "checked age"
(now - checked_at, when UW was last successfully asked, empty answer included). A quiet symbol
has an old data age but a small checked age. The run starts cold at midnight with an empty cache.

    python bench/bench_uw_day.py [--symbols 500] [--day 2026-11-24]

Writes bench/results/uw_day.json and prints one summary line.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

RESULTS = REPO_ROOT / "bench" / "results" / "uw_day.json"


class SteppedClock:
    """Simulated time that advances only by sleep(); thread-safe reads for the simulator."""

    def __init__(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        with self._lock:
            self._now += timedelta(seconds=max(0.0, seconds))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def universe(n: int) -> list[str]:
    """The simulator's own universe (named liquid tickers first), so every symbol has a market."""
    from src.sim.market import MarketModel

    return MarketModel(7).universe()[:n]


def run(symbols: int, day: str, speed_log: bool = True) -> dict[str, Any]:
    from werkzeug.serving import make_server

    from src.core.clock import MarketCalendar
    from src.core.paths import Paths
    from src.core.settings import Settings
    from src.core.state import save_state
    from src.sim.uw_sim import create_app
    from src.uw.daemon import FlowDaemon
    from src.uw.universe import UniverseEntry, UniverseFile

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    d = datetime.fromisoformat(day).date()
    from src.core.clock import NY

    start = datetime(d.year, d.month, d.day, 0, 0, tzinfo=NY)
    end = start + timedelta(days=1) - timedelta(seconds=1)
    session = MarketCalendar().session(d)
    clock = SteppedClock(start)
    home = Path(tempfile.mkdtemp(prefix="bench_uw_day_"))
    os.environ["STOCKBOT_HOME"] = str(home)
    paths = Paths(home).ensure()
    syms = universe(symbols)
    save_state(paths.core_universe, UniverseFile(as_of=day, symbols=[UniverseEntry(symbol=s) for s in syms]))

    app = create_app(seed=7, clock=clock, per_minute_limit=500, daily_limit=80_000)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings = Settings(uw_api_key="sim-key", uw_base_url=f"http://127.0.0.1:{server.server_port}")
    import requests

    from src.uw.uw_client import UWClient

    http = requests.Session()
    http.trust_env = False  # no proxy lookup per request: the simulator is local
    client = UWClient(settings, paths, caller="daemon", session=http, clock=clock)
    daemon = FlowDaemon(settings, paths, clock, client=client)

    per_minute: Counter[int] = Counter()
    recent: deque[float] = deque()
    peak_rolling = 0
    ages, flow_ages, checked, flow_checked = [], [], [], []
    flow_missing = [0]
    last_sample = [0.0]
    t0 = time.time()
    orig_get = daemon.client.get

    def counted_get(*a: Any, **k: Any) -> Any:
        nonlocal peak_rolling
        now = clock.now().timestamp()
        per_minute[int(now // 60)] += 1
        recent.append(now)
        while recent and recent[0] <= now - 60:
            recent.popleft()
        peak_rolling = max(peak_rolling, len(recent))
        return orig_get(*a, **k)

    daemon.client.get = counted_get  # type: ignore[method-assign]
    orig_end = daemon.end_cycle

    def sampling_end_cycle(now: float) -> None:
        orig_end(now)
        ts = clock.now()
        if session and session.open <= ts < session.close and now - last_sample[0] >= 60:
            last_sample[0] = now
            for s in syms:
                rec = daemon.cache.symbols.get(s) or {}
                lu, ck = rec.get("last_update"), rec.get("checked_at")
                ages.append(now - lu if lu else now - start.timestamp())
                checked.append(now - ck if ck else now - start.timestamp())
                flow = rec.get("flow") or {}
                fl = flow.get("last_update")
                if fl:
                    flow_ages.append(now - fl)
                    flow_checked.append(now - (flow.get("checked_at") or fl))
                else:  # no alert for this symbol yet today (cold start at midnight): no flow to age
                    flow_missing[0] += 1
        if ts >= end:
            daemon.stop.set()
        if speed_log and daemon.cycle % 240 == 0:
            print(f"  {ts.astimezone(NY):%H:%M} ET  requests={daemon.requests}  rate={daemon.rate:.0f}/min", flush=True)

    daemon.end_cycle = sampling_end_cycle  # type: ignore[method-assign]
    try:
        daemon.run()
        stats = daemon.client.limiter.read()
        sim_stats = app.config["SIM_STATE"]
        status_counts = dict(sim_stats.status_counts)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        shutil.rmtree(home, ignore_errors=True)
    market_requests = sum(
        v for k, v in per_minute.items() if session and session.open.timestamp() <= k * 60 < session.close.timestamp()
    )
    result = {
        "day": day,
        "symbols": symbols,
        "wall_seconds": round(time.time() - t0, 1),
        "requests_used": int(stats.calls_today),
        "requests_sent_by_daemon": sum(per_minute.values()),
        "daily_budget": 80_000,
        "requests_in_market_hours": market_requests,
        "peak_per_minute": max(per_minute.values()) if per_minute else 0,
        "peak_rolling_60s": peak_rolling,
        "per_minute_limit": 500,
        "http_429": int(status_counts.get("429", 0)),
        "client_429_recorded": int(stats.rate_limited_429),
        "sim_status_counts": status_counts,
        "p95_symbol_age_s_market_hours": percentile(ages, 0.95),
        "p50_symbol_age_s_market_hours": percentile(ages, 0.50),
        "p95_flow_age_s_market_hours": percentile(flow_ages, 0.95),
        "p50_flow_age_s_market_hours": percentile(flow_ages, 0.50),
        "p95_symbol_checked_age_s_market_hours": percentile(checked, 0.95),
        "p50_symbol_checked_age_s_market_hours": percentile(checked, 0.50),
        "p95_flow_checked_age_s_market_hours": percentile(flow_checked, 0.95),
        "p50_flow_checked_age_s_market_hours": percentile(flow_checked, 0.50),
        "age_samples": len(ages),
        "flow_missing_share_market_hours": round(flow_missing[0] / max(len(ages), 1), 4),
        "cycles": daemon.cycle,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--day", default="2026-11-24", help="a New York trading day")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    result = run(args.symbols, args.day)
    from src.core.jsonio import atomic_write_json

    atomic_write_json(args.out, result)
    print(
        f"uw_day: {result['requests_used']}/{result['daily_budget']} requests, "
        f"peak {result['peak_rolling_60s']}/min (limit {result['per_minute_limit']}), "
        f"429s {result['http_429']}, p95 in market hours: symbol data age "
        f"{result['p95_symbol_age_s_market_hours']:.0f}s / checked age {result['p95_symbol_checked_age_s_market_hours']:.0f}s, "
        f"flow data age {result['p95_flow_age_s_market_hours']:.0f}s / checked age "
        f"{result['p95_flow_checked_age_s_market_hours']:.0f}s "
        f"(no flow yet: {result['flow_missing_share_market_hours']:.1%} of samples) "
        f"({result['symbols']} symbols, {result['wall_seconds']}s wall)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
