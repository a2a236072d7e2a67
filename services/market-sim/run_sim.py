"""Market simulator entrypoint for `sim` mode: the fake UW and Alpaca servers in one process.

Both servers share one seeded market model and one clock (`clock_from_env()`), so an
accelerated clock exported to every process moves the UW flow and the Alpaca fill prices
together. Prints one `market-sim ready ...` line once both ports are bound (port 0 picks free
ports, and the line tells which), and exits 0 on SIGTERM/SIGINT after closing the servers.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

from src.core.clock import clock_from_env
from src.core.events import emit
from src.core.paths import Paths


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Run the UW + Alpaca market simulator (sim mode).")
    ap.add_argument("--host", default=os.environ.get("STOCKBOT_SIM_HOST", "127.0.0.1"))
    ap.add_argument("--uw-port", type=int, default=int(os.environ.get("STOCKBOT_SIM_PORT") or 8765))
    ap.add_argument("--alpaca-port", type=int, default=int(os.environ.get("STOCKBOT_SIM_ALPACA_PORT") or 8766))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("STOCKBOT_SIM_SEED") or 7))
    ap.add_argument("--ledger", type=Path, default=None, help="Alpaca ledger file (default: Paths.sim_alpaca_ledger)")
    ap.add_argument("--per-minute-limit", type=int, default=500)
    ap.add_argument("--daily-limit", type=int, default=80000)
    ap.add_argument("--starting-cash", type=float, default=100_000.0)
    ap.add_argument("--verbose", action="store_true", help="log every request (werkzeug access log)")
    return ap.parse_args(argv)


def _prewarm(seed: int, clock, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    """Build today's universe-wide flow once in the background so the first poll is quick."""
    from src.sim.market import MarketModel

    if not stop.is_set():
        MarketModel.shared(seed).market_alerts(clock.now())


def main(argv: list[str] | None = None) -> int:
    from src.sim import alpaca_sim, uw_sim

    args = _parse(argv)
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    clock = clock_from_env()
    ledger = args.ledger or Paths.from_env().sim_alpaca_ledger
    uw_app = uw_sim.create_app(seed=args.seed, clock=clock, per_minute_limit=args.per_minute_limit,
                               daily_limit=args.daily_limit)
    alpaca_app = alpaca_sim.create_app(ledger, clock=clock, seed=args.seed, starting_cash=args.starting_cash)
    try:
        uw_srv = make_server(args.host, args.uw_port, uw_app, threaded=True)
        alpaca_srv = make_server(args.host, args.alpaca_port, alpaca_app, threaded=True)
    except OSError as exc:
        emit("market_sim", "market_sim_bind_failed", host=args.host, uw_port=args.uw_port,
             alpaca_port=args.alpaca_port, error=str(exc))
        print(f"market-sim: cannot bind: {exc}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    threads = [threading.Thread(target=s.serve_forever, name=n, daemon=True)
               for s, n in ((uw_srv, "uw-sim"), (alpaca_srv, "alpaca-sim"))]
    for t in threads:
        t.start()
    threading.Thread(target=_prewarm, args=(args.seed, clock, stop), daemon=True).start()
    print(f"market-sim ready uw=http://{args.host}:{uw_srv.server_port} "
          f"alpaca=http://{args.host}:{alpaca_srv.server_port} ledger={ledger}", flush=True)
    while not stop.wait(0.5):
        pass
    for srv in (uw_srv, alpaca_srv):
        srv.shutdown()
        srv.server_close()
    for t in threads:
        t.join(timeout=5)
    print("market-sim stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
