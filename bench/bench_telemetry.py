"""Telemetry extract over generated logs of 100k and 1M trade/attribution lines: wall time and peak RSS.

Each size gets a fresh STOCKBOT_HOME; the extract runs in a child process so its peak RSS
(ru_maxrss from wait4) is its own. Lines are split half master trade log, a quarter v1
attribution, a quarter v2 shadow decisions, spread by default over 20 trading days ending on
the bench day (a month of append-only logs; every line is still read and parsed). `--days 1`
is the stress case where every line falls on the bench day and feeds every artifact.
Target: 1M lines in < 10 s and < 500 MB peak RSS, cost linear in lines: the largest run's CPU
seconds per line may be at most LINEAR_SLACK times the smallest run's (CPU, not wall, so a busy
shared host does not fake a non-linearity; the fixed start-up cost only lowers the ratio).

    .venv/bin/python bench/bench_telemetry.py [--sizes 100000 1000000] [--days 20]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = "2026-03-04"
CLOSE = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
SYMBOLS = [f"S{i:03d}" for i in range(300)]
SIGNALS = ["options_flow", "dark_pool", "gamma_exposure", "iv_term_skew", "oi_change", "ftd_pressure", "market_tide"]
FEATURES = ["flow_score", "dp_notional", "gex", "iv_rank", "oi_change", "ftd_pressure"]
REGIMES = ["risk_on", "risk_off", "neutral"]
SECTORS = ["Technology", "Energy", "Financials", "Health Care"]
TARGET_S, TARGET_MB = 10.0, 500.0
LINEAR_SLACK = 1.5


def _ts(rng: random.Random, days: int) -> str:
    day_back = rng.randrange(days)
    secs = rng.uniform(0, 6.5 * 3600)
    return (CLOSE - timedelta(days=day_back, seconds=secs)).isoformat().replace("+00:00", "Z")


def generate(home: Path, lines: int, days: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    counts = {
        "master_trade_log": lines // 2,
        "attribution": lines // 4,
        "shadow_trades": lines - lines // 2 - lines // 4,
    }
    with open(logs / "master_trade_log.jsonl", "wb") as fh:
        for i in range(counts["master_trade_log"]):
            src = "shadow" if i % 2 else "live"
            side = "long" if rng.random() < 0.6 else "short"
            entry = rng.uniform(20, 500)
            exit_ = entry * (1 + rng.gauss(0, 0.01))
            size = rng.randint(1, 100)
            pnl = (exit_ - entry) * size * (1 if side == "long" else -1)
            fh.write(
                orjson.dumps(
                    {
                        "trade_id": f"t{i}",
                        "symbol": rng.choice(SYMBOLS),
                        "side": side,
                        "is_live": src == "live",
                        "is_shadow": src == "shadow",
                        "entry_ts": _ts(rng, days),
                        "exit_ts": _ts(rng, days),
                        "entry_price": round(entry, 2),
                        "exit_price": round(exit_, 2),
                        "size": size,
                        "realized_pnl_usd": round(pnl, 2),
                        "signals": rng.sample(SIGNALS, 2),
                        "feature_snapshot": {f: round(rng.gauss(0, 1), 4) for f in rng.sample(FEATURES, 4)},
                        "regime_snapshot": {"regime": rng.choice(REGIMES), "confidence": 0.7},
                        "exit_reason": "target",
                        "source": src,
                        "schema_version": 1,
                        "sector": rng.choice(SECTORS),
                        "score_at_entry": round(rng.uniform(2, 6), 3),
                    }
                )
                + b"\n"
            )
    with open(logs / "attribution.jsonl", "wb") as fh:
        for i in range(counts["attribution"]):
            fh.write(
                orjson.dumps(
                    {
                        "ts": _ts(rng, days),
                        "symbol": rng.choice(SYMBOLS),
                        "side": rng.choice(["long", "short"]),
                        "score": round(rng.uniform(2, 6), 3),
                        "price": round(rng.uniform(20, 500), 2),
                        "components": {s: round(rng.uniform(0, 2), 3) for s in rng.sample(SIGNALS, 4)},
                        "decision_id": f"d{i}",
                        "schema_version": 1,
                    }
                )
                + b"\n"
            )
    with open(logs / "shadow_trades.jsonl", "wb") as fh:
        for _ in range(counts["shadow_trades"]):
            v2 = rng.uniform(1, 7)
            fh.write(
                orjson.dumps(
                    {
                        "ts": _ts(rng, days),
                        "symbol": rng.choice(SYMBOLS),
                        "action": rng.choice(["entry", "entry", "refused", "exit", "replacement"]),
                        "side": rng.choice(["long", "short"]),
                        "v2_score": round(v2, 3),
                        "v1_score": round(v2 - 0.3, 3),
                        "price": round(rng.uniform(20, 500), 2),
                        "components": {s: round(rng.uniform(0, 2), 3) for s in rng.sample(SIGNALS, 4)},
                        "reason": "bench",
                        "regime": rng.choice(REGIMES),
                        "sector": rng.choice(SECTORS),
                        "schema_version": 1,
                    }
                )
                + b"\n"
            )
    return counts


CHILD = (
    "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
    "from src.core.paths import Paths; from src.telemetry.bundle import build_bundle;"
    "build_bundle(sys.argv[1], Paths(Path(sys.argv[3])))"
)


def run_extract(home: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS MB, exit status) of one extract in a child process."""
    env = dict(os.environ, STOCKBOT_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, DAY, str(ROOT), str(home)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace")[-2000:])
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024.0, proc.returncode  # ru_maxrss is KiB on Linux


def linearity(rows: list[dict]) -> dict | None:
    """Largest vs smallest run: time ratio against line ratio (1.0 = perfectly linear)."""
    if len(rows) < 2:
        return None
    small, big = min(rows, key=lambda r: r["lines"]), max(rows, key=lambda r: r["lines"])
    lines_ratio = big["lines"] / small["lines"]
    wall_ratio = big["wall_s"] / small["wall_s"] if small["wall_s"] else None
    cpu_ratio = big["cpu_s"] / small["cpu_s"] if small["cpu_s"] else None
    per_line = cpu_ratio / lines_ratio if cpu_ratio is not None else None
    return {
        "lines_ratio": round(lines_ratio, 2),
        "wall_ratio": round(wall_ratio, 2) if wall_ratio is not None else None,
        "cpu_ratio": round(cpu_ratio, 2) if cpu_ratio is not None else None,
        "cpu_per_line_ratio": round(per_line, 3) if per_line is not None else None,
        "max_per_line_ratio": LINEAR_SLACK,
        "linear": per_line is not None and per_line <= LINEAR_SLACK,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--days", type=int, default=20, help="spread the lines over this many days ending on the bench day")
    ap.add_argument("--out", type=Path, default=None,
                    help="default bench/results/telemetry.json (telemetry_days<N>.json for another --days)")
    args = ap.parse_args(argv)
    if args.out is None:
        name = "telemetry.json" if args.days == 20 else f"telemetry_days{args.days}.json"
        args.out = ROOT / "bench" / "results" / name
    from src.core.jsonio import atomic_write_json

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-telemetry-") as tmp:
        for n in args.sizes:
            home = Path(tmp) / f"h{n}"
            t0 = time.perf_counter()
            counts = generate(home, n, args.days)
            gen_s = time.perf_counter() - t0
            size_mb = sum(p.stat().st_size for p in (home / "logs").iterdir()) / 1e6
            wall, cpu, rss, rc = run_extract(home)
            rows.append(
                {
                    "lines": n,
                    "per_log": counts,
                    "log_mb": round(size_mb, 1),
                    "generate_s": round(gen_s, 2),
                    "wall_s": round(wall, 3),
                    "cpu_s": round(cpu, 3),
                    "peak_rss_mb": round(rss, 1),
                    "us_per_line": round(wall / n * 1e6, 2),
                    "exit_code": rc,
                }
            )
            print(f"  {n:>9,} lines ({size_mb:,.0f} MB): {wall:6.2f} s wall, {cpu:6.2f} s CPU, peak RSS {rss:6.1f} MB",
                  file=sys.stderr)
    big = max(rows, key=lambda r: r["lines"])
    lin = linearity(rows)
    ok = all(r["exit_code"] == 0 for r in rows) and (
        big["lines"] < 1_000_000 or (big["wall_s"] < TARGET_S and big["peak_rss_mb"] < TARGET_MB)
    ) and (lin is None or lin["linear"])
    result = {
        "benchmark": "telemetry_extract",
        "day": DAY,
        "days_spread": args.days,
        "target": {"lines": 1_000_000, "wall_s": TARGET_S, "peak_rss_mb": TARGET_MB},
        "runs": rows,
        "linearity": lin,
        "pass": ok,
    }
    atomic_write_json(args.out, result)
    parts = ", ".join(f"{r['lines']:,} lines {r['wall_s']:.2f} s / {r['peak_rss_mb']:.0f} MB" for r in rows)
    if lin is not None:
        parts += (f"; {lin['lines_ratio']:g}x lines -> {lin['wall_ratio']}x wall, {lin['cpu_ratio']}x CPU "
                  f"(per line {lin['cpu_per_line_ratio']}, linear if <= {LINEAR_SLACK})")
    print(
        f"telemetry extract (days={args.days}): {parts} (target 1M < {TARGET_S:.0f} s, < {TARGET_MB:.0f} MB, "
        f"linear): {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
