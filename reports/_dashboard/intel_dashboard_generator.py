"""Contract script (4.14): write reports/INTEL_DASHBOARD_<date>.md (+ PNG charts) from state and logs only.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `intel_dashboard` job body
(`src.intel.dashboard:run_intel_dashboard`) in-process by default; `--enqueue` puts it on its queue.
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("intel_dashboard", sys.argv[1:]))
