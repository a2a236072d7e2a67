"""Contract script: write state/postmarket_intel.json (after the close).

Thin wrapper over `src.jobs.cli.run_cli`: runs the `postmarket_intel` job in-process by default,
`--enqueue` puts it on the `intel` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("postmarket_intel", sys.argv[1:]))
