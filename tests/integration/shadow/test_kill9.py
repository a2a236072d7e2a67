"""state/shadow_v2_positions.json survives kill -9 mid-cycle and matches the logged decisions.

A real subprocess runs shadow cycles back to back on a volatile simulated tape (entries, stops,
targets and replacements every few cycles); it is SIGKILLed at random moments, restarted (which
runs the journal recovery), and killed again. After each kill the file must load as valid, and
after recovery its open positions must equal the journal's; exits are written once each.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.core.state import LoadStatus, inspect_state
from src.shadow.state import ShadowState, open_positions_from_journal, recover_from_journal

CHILD = r"""
import random, sys
from datetime import UTC, datetime, timedelta
from src.core.paths import Paths
from src.shadow.state import load_shadow_state
from src.shadow.step import shadow_step
from tests.integration.shadow.fixtures import context, write_intel

paths = Paths.from_env()
syms = [f"S{i:02d}" for i in range(12)]
state = load_shadow_state(paths)
now = datetime.fromisoformat(state.updated_at) + timedelta(minutes=1) if state.updated_at else \
    datetime(2026, 11, 27, 14, 31, tzinfo=UTC)
rng = random.Random(int(sys.argv[1]))
prices = {s: 50.0 + 10 * i for i, s in enumerate(syms)}
engine = {}
cycle = 0
while True:
    cycle += 1
    write_intel(paths, now, syms) if cycle % 50 == 1 else None
    prices = {s: round(p * (1 + rng.uniform(-0.012, 0.012)), 4) for s, p in prices.items()}
    scores = {s: round(rng.uniform(2.0, 5.5), 3) for s in syms}
    ctx = context(paths, now, cycle, prices, scores, engine)
    shadow_step(ctx)
    if "error" in ctx.extras.get("shadow", {}):
        print(ctx.extras["shadow"]["error"], file=sys.stderr, flush=True)
        sys.exit(3)
    print(cycle, flush=True)
    now += timedelta(minutes=1)
"""


def _start(script: Path, seed: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, str(script), str(seed)],
        cwd=str(REPO_ROOT),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _journal_len(paths: Paths) -> int:
    try:
        with open(paths.shadow_trades_log, "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


@pytest.mark.slow
def test_positions_survive_kill9_and_match_the_journal(home: Paths, tmp_path: Path) -> None:
    script = tmp_path / "shadow_child.py"
    script.write_text(CHILD)
    rng = random.Random(7)
    kills = 0
    for round_no in range(5):
        before = _journal_len(home)
        proc = _start(script, round_no)
        deadline = time.monotonic() + 60
        target = before + rng.randint(20, 60)
        while _journal_len(home) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))  # land somewhere inside a cycle
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
        # right after the kill: the file is whole (atomic replace) and never ahead of the journal
        res = inspect_state(home.shadow_positions, ShadowState)
        assert res.status is LoadStatus.ok, res.error
        rows, torn = read_jsonl(home.shadow_trades_log)
        assert torn <= 1  # at most the line being written when the kill landed
        assert res.value.last_seq <= max(r["seq"] for r in rows)
        if round_no % 2:
            continue  # odd rounds: the restarted child's own first step does the recovery
        # recovery rolls the journal forward; then state == journal
        state = res.value
        recover_from_journal(home, state)
        assert {s: p.trade_id for s, p in state.positions.items()} == open_positions_from_journal(home)
        again = inspect_state(home.shadow_positions, ShadowState).value
        assert again.positions.keys() == state.positions.keys() and again.last_seq == state.last_seq

    rows, _ = read_jsonl(home.shadow_trades_log)
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))  # no decision was made twice
    actions = Counter(r["action"] for r in rows)
    assert actions["entry"] > 10 and actions["exit"] + actions["replacement"] > 5, actions
    exit_ids = [r["trade_id"] for r in rows if r["action"] in ("exit", "replacement")]
    master, _ = read_jsonl(home.master_trade_log)
    attribution, _ = read_jsonl(home.exit_attribution_log)
    assert sorted(m["trade_id"] for m in master) == sorted(exit_ids)  # each closed trade exactly once
    assert sorted(a["trade_id"] for a in attribution) == sorted(exit_ids)
    assert kills == 5
