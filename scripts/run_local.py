"""`make run`: the compose stack's processes on this machine, under honcho, with the local Redis.

Steps: make sure Redis answers (scripts/ensure_redis.py), prepare STOCKBOT_HOME (default ./var),
build the child environment (sim mode without a UW key points every client at the local
simulators; a missing rq-dashboard password is generated and printed), then run the Procfile.
Ctrl-C stops every process (honcho sends SIGTERM to all, then exits). The environment changes
are made for the child processes only. `.env`, if present, is read here, with the same
precedence as compose (the process environment wins), and honcho is told not to re-read it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from src.core.paths import REPO_ROOT, Paths

SIM_DEFAULTS = {
    "UW_BASE_URL": "http://127.0.0.1:8765",
    "UW_API_KEY": "sim-key",
    "ALPACA_BASE_URL": "http://127.0.0.1:8766",
    "ALPACA_API_KEY": "sim",
    "ALPACA_SECRET_KEY": "sim",
}
DASHBOARD_URL = "http://127.0.0.1:9181"
PROCESSES = ("market-sim", "uw-daemon", "engine", "intel-worker", "telemetry-worker", "scheduler", "rq-dashboard")


def read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def child_env(base: dict[str, str], dotenv: dict[str, str], home: Path) -> tuple[dict[str, str], list[str]]:
    """The environment the processes get, and notes on what was filled in (no secret values)."""
    env = {**dotenv, **base}
    # an empty value means "not set" (as in compose's ${VAR:-default}); drop it so defaults apply
    env = {k: v for k, v in env.items() if v != "" or k not in (*SIM_DEFAULTS, "RQ_DASHBOARD_PASSWORD")}
    notes = []
    env["STOCKBOT_HOME"] = str(home)
    env.setdefault("STOCKBOT_MODE", "sim")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    if env["STOCKBOT_MODE"] == "sim" and not env.get("UW_API_KEY"):
        for k, v in SIM_DEFAULTS.items():
            env[k] = v
        notes.append("sim mode without UW_API_KEY: UW and Alpaca clients point at the local simulators")
    env.setdefault("RQ_DASHBOARD_USERNAME", "admin")
    if not env.get("RQ_DASHBOARD_PASSWORD"):
        env["RQ_DASHBOARD_PASSWORD"] = secrets.token_urlsafe(12)
        notes.append("generated")
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    return env, notes


def process_names(mode: str) -> list[str]:
    return [p for p in PROCESSES if mode == "sim" or p != "market-sim"]


def banner(env: dict[str, str], paths: Paths, names: list[str], generated_password: bool) -> str:
    pw = env["RQ_DASHBOARD_PASSWORD"] if generated_password else "(RQ_DASHBOARD_PASSWORD from your environment)"
    return "\n".join(
        [
            f"stock-bot: mode {env['STOCKBOT_MODE']}, processes: {', '.join(names)}",
            f"  rq-dashboard  {DASHBOARD_URL}  user {env['RQ_DASHBOARD_USERNAME']}  password {pw}",
            f"  runtime root  {paths.root}",
            f"  heartbeat     {paths.heartbeat}",
            f"  events        {paths.system_events}",
            f"  UW cache      {paths.uw_flow_cache}",
            f"  Redis         {env['REDIS_URL']}",
            "  health: make status    plan: python scripts/run_schedule.py --dry-run    stop: Ctrl-C",
        ]
    )


def main() -> int:
    dotenv = read_dotenv(REPO_ROOT / ".env")
    base = dict(os.environ)
    redis_env = {**dotenv, **base}
    redis_env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    rc = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "ensure_redis.py")], env=redis_env).returncode
    if rc != 0:
        print("make run: no Redis available (see above); the job plane needs one", file=sys.stderr)
        return rc
    home = Path(redis_env.get("STOCKBOT_HOME") or "var")
    home = home if home.is_absolute() else (REPO_ROOT / home).resolve()
    paths = Paths(home).ensure()
    env, notes = child_env(base, dotenv, home)
    generated = "generated" in notes
    names = process_names(env["STOCKBOT_MODE"])
    print(banner(env, paths, names, generated), flush=True)
    for n in notes:
        if n != "generated":
            print(f"  note: {n}", flush=True)
    honcho = str(Path(sys.executable).parent / "honcho")
    cmd = [honcho, "start", "-f", str(REPO_ROOT / "Procfile"), "-d", str(REPO_ROOT), "-e", os.devnull, *names]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT)
    # SIGTERM (systemd, a test, kill) stops the set the same way Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # honcho got the same SIGINT (same process group) and is stopping everything: wait for it
        try:
            return proc.wait(timeout=60)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            proc.send_signal(signal.SIGTERM)
            return proc.wait()
    finally:
        print(f"stock-bot stopped; files remain under {paths.root}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
