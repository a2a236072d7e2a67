"""Contract script: write state/premarket_exit_intel.json (before the open).

Thin wrapper over `src.jobs.cli.run_cli`: runs the `premarket_exit_intel` job in-process by default,
`--enqueue` puts it on the `exit` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("premarket_exit_intel", sys.argv[1:]))
