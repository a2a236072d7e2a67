"""Contract script: the UW flow daemon health sentinel -> state/uw_daemon_health_state.json.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `daemon_health_check` job in-process by default,
`--enqueue` puts it on the `intel` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("daemon_health_check", sys.argv[1:]))
