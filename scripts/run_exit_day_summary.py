"""Contract script: reports/EXIT_DAY_SUMMARY_<date>.md.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `exit_day_summary` job in-process by default,
`--enqueue` puts it on the `exit` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("exit_day_summary", sys.argv[1:]))
