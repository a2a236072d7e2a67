"""Print the contract-8 health verdict item by item; exit 0 when healthy, 1 when not.

Also the engine container's healthcheck. `--json` prints a machine-readable report.
"""

from __future__ import annotations

import argparse
import json
import sys

from src.core.errors import ConfigError
from src.core.health import check_health
from src.core.paths import Paths
from src.core.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    report = check_health(settings, Paths(settings.home.resolve()))
    if args.json:
        print(json.dumps({"healthy": report.healthy, "items": [i.__dict__ for i in report.items]}, indent=2))
    else:
        for item in report.items:
            mark = "OK  " if item.ok else ("FAIL" if item.required else "WARN")
            print(f"[{mark}] {item.name}: {item.detail}")
        print("HEALTHY" if report.healthy else "UNHEALTHY")
    return 0 if report.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
