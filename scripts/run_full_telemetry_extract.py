"""Contract script: the daily telemetry bundle -> telemetry/<date>/.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `full_telemetry_extract` job in-process by default,
`--enqueue` puts it on the `telemetry` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("full_telemetry_extract", sys.argv[1:]))
