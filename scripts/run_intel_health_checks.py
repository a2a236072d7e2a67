"""Contract script: write state/intel_health_state.json.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `intel_health_checks` job in-process by default,
`--enqueue` puts it on the `intel` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("intel_health_checks", sys.argv[1:]))
