"""`make bench`: run every bench/bench_*.py in its own process, then print their summary lines.

Each benchmark writes its JSON under bench/results/ and prints one summary line last.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    benches = sorted(p for p in HERE.glob("bench_*.py") if not wanted or p.stem in wanted)
    summaries: list[str] = []
    failed = 0
    for bench in benches:
        print(f"== {bench.stem}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(bench)], cwd=HERE.parent, capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr[-4000:])
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "(no output)"
        status = "ok" if proc.returncode == 0 else f"FAILED rc={proc.returncode}"
        summaries.append(f"{bench.stem}: {status} in {time.monotonic() - started:.0f}s | {last}")
        failed += proc.returncode != 0
    print("\n== summary")
    for line in summaries:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
