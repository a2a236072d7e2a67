"""Contract script: analysis_packs/<date>/ after the close.

Thin wrapper over `src.jobs.cli.run_cli`: runs the `postclose_analysis_pack` job in-process by default,
`--enqueue` puts it on the `telemetry` queue (see `--help`).
"""

from __future__ import annotations

import sys

from src.jobs.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli("postclose_analysis_pack", sys.argv[1:]))
