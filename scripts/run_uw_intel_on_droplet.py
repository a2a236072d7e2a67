"""Contract 4.7 runner: the UW intel lifecycle on the droplet, in order, then state sync.

    scripts/run_uw_intel_on_droplet.py --date YYYY-MM-DD [--postclose-pack] [--transport local|ssh]
                                       [--droplet-home PATH] [--json]

Runs universe -> premarket -> postmarket -> telemetry bundle -> regression, stops when
regression fails, and (with --postclose-pack) builds the analysis pack. Fetched artifacts land in
droplet_sync/<date>/ with one sync_log.jsonl line per step. Exit 0 when every step succeeded.
SSH settings: STOCKBOT_SYNC_HOST, STOCKBOT_SYNC_USER, STOCKBOT_SYNC_SSH_KEY (key file path),
STOCKBOT_SYNC_REMOTE_REPO, STOCKBOT_SYNC_REMOTE_HOME.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    from src.core.clock import clock_from_env, trading_day
    from src.core.errors import ConfigError
    from src.core.paths import Paths
    from src.core.settings import load_settings
    from src.telemetry.droplet import run_droplet
    from src.telemetry.sync import LocalTransport, SshTransport, transport_from_settings

    ap = argparse.ArgumentParser(prog="scripts/run_uw_intel_on_droplet.py", description=__doc__.splitlines()[0])
    ap.add_argument("--date", type=_day, default=None, help="trading date (default: today in New York)")
    ap.add_argument("--postclose-pack", action="store_true", help="also build and sync the post-close analysis pack")
    ap.add_argument("--transport", choices=("local", "ssh"), default=None, help="default: STOCKBOT_SYNC_TRANSPORT")
    ap.add_argument("--droplet-home", type=Path, default=None, help="local transport: the droplet's runtime root")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    paths = Paths.from_env().ensure()
    day = args.date or trading_day(clock_from_env().now())
    kind = args.transport or settings.sync_transport
    if kind == "ssh":
        transport = SshTransport.from_settings(settings)
    elif args.droplet_home is not None:
        transport = LocalTransport(Paths(args.droplet_home.resolve()).ensure(), settings)
    else:
        transport = transport_from_settings(settings.model_copy(update={"sync_transport": "local"}), paths)
    result = run_droplet(day, paths, transport, postclose_pack=args.postclose_pack).as_dict()
    if args.json:
        print(json.dumps(result, sort_keys=True, default=str))
    else:
        print(result["message"])
        for s in result["steps"]:
            print(f"  {'ok  ' if s['ok'] else 'FAIL'} {s['step']:<32} {s['duration_s']:>8.2f}s  {s['detail'][:160]}")
        print(f"sync log: {paths.droplet_sync_day(day) / 'sync_log.jsonl'}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
