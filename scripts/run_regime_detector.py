"""Contract script: write state/regime_state.json.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `regime_detector` job in-process by default,
`--enqueue` puts it on the `intel` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("regime_detector", sys.argv[1:]))
