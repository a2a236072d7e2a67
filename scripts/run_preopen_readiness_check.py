"""Contract script: pre-open readiness check (before the open).

Thin wrapper over `src.jobs.cli.run_cli`: runs the `preopen_readiness` job in-process by default,
`--enqueue` puts it on the `intel` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("preopen_readiness", sys.argv[1:]))
