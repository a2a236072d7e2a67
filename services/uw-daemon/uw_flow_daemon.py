"""UW flow daemon entry point (contract 4.9); the logic lives in src/uw/daemon.py.

    python services/uw-daemon/uw_flow_daemon.py [--once] [--max-cycles N]

Exit codes: 0 clean stop (SIGTERM/SIGINT, --once, --max-cycles), 2 configuration error,
3 another instance holds state/uw_flow_daemon.lock.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from src.uw.daemon import main

    sys.exit(main())
