"""Contract script: build state/daily_universe.json and state/core_universe.json (before the open).

Thin wrapper over `src.jobs.cli.run_cli`: runs the `build_daily_universe` job in-process by default,
`--enqueue` puts it on the `intel` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("build_daily_universe", sys.argv[1:]))
