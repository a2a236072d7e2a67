"""Contract script: the regression suite gate used by pre-open readiness.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `regression_checks` job in-process by default,
`--enqueue` puts it on the `telemetry` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("regression_checks", sys.argv[1:]))
