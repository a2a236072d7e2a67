"""`make demo`: one whole simulated trading day, end to end, at an accelerated clock.

It starts the same processes as `make run` (market simulator, UW daemon, supervised engine,
intel and telemetry workers, the rq cron scheduler) in a fresh runtime root, with every process
sharing one accelerated clock that begins before the pre-open jobs. The scheduler then runs the
day's plan from the NYSE calendar: universe, intel and readiness before the open; the engine and
the shadow trader trade the session; after the close the intel, exit, telemetry, regression and
analysis-pack jobs run. Progress is printed as it goes; at the end it lists where the telemetry
bundle, intel dashboard and analysis pack are, and checks the bundle with the regression gate.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_local import child_env, read_dotenv  # noqa: E402

from src.core.clock import NY, MarketCalendar  # noqa: E402
from src.core.jsonio import iter_jsonl  # noqa: E402
from src.core.paths import REPO_ROOT, Paths  # noqa: E402
from src.core.state import inspect_state  # noqa: E402
from src.engine.models import Heartbeat  # noqa: E402
from src.jobs.schedule import plan_for  # noqa: E402

DEMO_PROCESSES = ("market-sim", "uw-daemon", "engine", "intel-worker", "telemetry-worker", "scheduler")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_day(today: date) -> date:
    """The next full (not early-close) NYSE session after today."""
    cal = MarketCalendar()
    d = today
    while True:
        s = cal.next_session(d)
        if not s.early_close:
            return s.day
        d = s.day


def count_trades(paths: Paths) -> tuple[int, int]:
    live = shadow = 0
    for row in iter_jsonl(paths.master_trade_log):
        if row.get("is_shadow"):
            shadow += 1
        else:
            live += 1
    return live, shadow


def artifacts(paths: Paths, day: str) -> dict[str, Path]:
    return {
        "universe": paths.daily_universe,
        "premarket intel": paths.premarket_intel,
        "daemon health": paths.uw_daemon_health_state,
        "postmarket intel": paths.postmarket_intel,
        "exit day summary": paths.report("EXIT_DAY_SUMMARY", day),
        "intel dashboard": paths.report("INTEL_DASHBOARD", day),
        "telemetry bundle": paths.telemetry_day(day) / f"FULL_TELEMETRY_{day}.md",
        "analysis pack": paths.analysis_pack(day) / f"MASTER_SUMMARY_{day}.md",
    }


def readiness_verdict(paths: Paths, day: str) -> str | None:
    """The last readiness event for `day` (a failed check may be retried and pass)."""
    verdict = None
    for row in iter_jsonl(paths.system_events):
        if row.get("event_type") in ("preopen_readiness_ok", "preopen_readiness_failed"):
            details = row.get("details") or {}
            if isinstance(details, dict) and details.get("day") == day:
                verdict = str(row["event_type"])
    return verdict


def run_phase(
    env: dict[str, str],
    paths: Paths,
    day: str,
    sim_start: datetime,
    sim_end: datetime,
    speed: float,
    deadline: float,
    done_when: Callable[[], bool],
    label: str,
) -> bool:
    """Run the process set on a clock starting at sim_start until done_when() or sim_end."""
    real_start = time.time()
    phase_env = {**env, "STOCKBOT_CLOCK_SIM_START": sim_start.isoformat(), "STOCKBOT_CLOCK_REAL_START": str(real_start)}
    print(f"demo: {label}: {sim_start.astimezone(NY):%H:%M} to {sim_end.astimezone(NY):%H:%M} New York "
          f"(about {(sim_end - sim_start).total_seconds() / speed / 60:.1f} real minutes at most)", flush=True)
    honcho = str(Path(sys.executable).parent / "honcho")
    log = open(paths.root / "demo_processes.log", "ab")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [honcho, "start", "-f", str(REPO_ROOT / "Procfile"), "-d", str(REPO_ROOT), "-e", os.devnull, *DEMO_PROCESSES],
        env=phase_env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    ok = False
    try:
        while time.time() < deadline:
            time.sleep(3)
            if proc.poll() is not None:
                print(f"demo: the process set stopped early (rc {proc.returncode}); see {paths.root / 'demo_processes.log'}")
                break
            now_sim = sim_start + timedelta(seconds=(time.time() - real_start) * speed)
            hb = inspect_state(paths.heartbeat, Heartbeat).value
            live, shadow = count_trades(paths)
            done = [name for name, p in artifacts(paths, day).items() if p.exists()]
            print(f"  {now_sim.astimezone(NY):%H:%M} NY | engine cycle {hb.cycle if hb else 0} | closed trades "
                  f"live {live} shadow {shadow} | done: {', '.join(done) or '-'}", flush=True)
            if done_when():
                ok = True
                break
            if now_sim > sim_end:
                print(f"demo: {label} ended before it was done")
                break
        else:
            print("demo: timed out")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", help="trading day to simulate (default: next full NYSE session)")
    ap.add_argument("--speed", type=float, default=180.0, help="simulated seconds per real second")
    ap.add_argument("--home", default=str(REPO_ROOT / "var" / "demo"), help="runtime root for the demo")
    ap.add_argument("--timeout", type=float, default=600.0, help="real seconds before giving up")
    ap.add_argument("--skip-next-morning", action="store_true", help="stop after the trading day's post-close jobs")
    args = ap.parse_args(argv)

    day = date.fromisoformat(args.date) if args.date else demo_day(datetime.now(NY).date())
    plan = plan_for(day)
    if not plan.entries:
        print(f"demo: {plan.reason}", file=sys.stderr)
        return 2
    ds = day.isoformat()
    sim_start = plan.entries[0].at - timedelta(minutes=5)
    sim_end = plan.entries[-1].at + timedelta(minutes=60)
    home = Path(args.home).resolve() / ds
    if home.exists():
        shutil.rmtree(home)
    paths = Paths(home).ensure()

    base = {k: v for k, v in os.environ.items() if k not in ("UW_API_KEY", "UW_BASE_URL", "ALPACA_BASE_URL")}
    base["STOCKBOT_MODE"] = "sim"
    env, _ = child_env(base, read_dotenv(REPO_ROOT / ".env"), home)
    uw_port, alpaca_port = free_port(), free_port()
    env.update(
        STOCKBOT_SIM_PORT=str(uw_port),
        STOCKBOT_SIM_ALPACA_PORT=str(alpaca_port),
        UW_BASE_URL=f"http://127.0.0.1:{uw_port}",
        ALPACA_BASE_URL=f"http://127.0.0.1:{alpaca_port}",
        STOCKBOT_CLOCK_SPEED=str(args.speed),
        STOCKBOT_SCHEDULE_TICK_S="1",
        STOCKBOT_JOBS_NAMESPACE=f"demo{int(time.time())}_",
        STOCKBOT_HEARTBEAT_STALE_S="60",
        # one quick retry: a day compressed into minutes cannot wait out production retry delays
        STOCKBOT_JOB_RETRIES="1",
        STOCKBOT_JOB_RETRY_INTERVAL_S="2",
    )
    deadline = time.time() + args.timeout
    print(f"demo: simulating {ds} at {args.speed:.0f}x, runtime root {home}", flush=True)
    pack = artifacts(paths, ds)["analysis pack"]
    ok = run_phase(env, paths, ds, sim_start, sim_end, args.speed, deadline, lambda: pack.exists(), "trading day")
    if ok and not args.skip_next_morning:
        nxt = MarketCalendar().next_session(day)
        morning = plan_for(nxt.day)
        m_start = morning.entries[0].at - timedelta(minutes=5)
        m_end = nxt.open.astimezone(NY) + timedelta(minutes=10)
        nd = nxt.day.isoformat()
        print(f"demo: the next morning ({nd}): pre-open jobs and the readiness gate", flush=True)
        ok = run_phase(env, paths, nd, m_start, m_end, args.speed, deadline,
                       lambda: readiness_verdict(paths, nd) == "preopen_readiness_ok", "next morning")
        verdict = readiness_verdict(paths, nd)
        print(f"demo: pre-open readiness for {nd}: {verdict or 'no verdict'}", flush=True)
        ok = ok and verdict == "preopen_readiness_ok"
    rc = 0 if ok else 1

    check_env = {**env, "STOCKBOT_CLOCK_SIM_START": ""}
    reg = subprocess.run([sys.executable, str(REPO_ROOT / "scripts/run_regression_checks.py"), "--date", ds],
                         env=check_env, cwd=REPO_ROOT, capture_output=True, text=True)
    print("\nregression checks on the demo day:")
    print(reg.stdout[-3000:] or reg.stderr[-3000:])
    print("where things are:")
    for name, p in artifacts(paths, ds).items():
        print(f"  {name:26s} {p if p.exists() else '(missing) ' + str(p)}")
    print(f"  {'master trade log':26s} {paths.master_trade_log}")
    print(f"  {'processes log':26s} {home / 'demo_processes.log'}")
    return rc if reg.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
