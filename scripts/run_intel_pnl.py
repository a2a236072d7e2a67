"""Contract script: daily intel P&L -> state/uw_intel_pnl_summary.json, reports/UW_INTEL_PNL_<date>.md.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `intel_pnl` job in-process by default,
`--enqueue` puts it on the `telemetry` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("intel_pnl", sys.argv[1:]))
