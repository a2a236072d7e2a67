"""Two real processes sharing state/uw_usage_state.json never exceed the per-minute limit together."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from src.core.paths import REPO_ROOT
from src.core.state import load_state
from src.uw.usage import UsageState

WORKER = r"""
import json, sys, time
from src.core.paths import Paths
from src.core.settings import Settings
from src.uw.uw_client import UWClient, UWRateLimited
import os
url, go_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = Settings(uw_api_key="k-two-procs", uw_base_url=url, uw_per_minute_limit=20, uw_max_wait_s=0.0,
             uw_backoff_base_s=0.0)
client = UWClient(s, Paths.from_env(), caller="intel")
print("ready", flush=True)
while not os.path.exists(go_file):
    time.sleep(0.001)
ok = blocked = 0
for i in range(n):
    time.sleep(0.005)  # interleave with the other process
    try:
        client.get("/api/market/market-tide", params={"date": f"2026-11-{1 + i % 28:02d}"}, cache=False)
        ok += 1
    except UWRateLimited:
        blocked += 1
client.close()
print(json.dumps({"ok": ok, "blocked": blocked}))
"""


def test_two_processes_share_the_per_minute_limit(paths, uw_server, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, uw_server.url, str(go), "25"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    for p in procs:  # both imported and waiting: start them together
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["ok"] for r in results) == 20
    assert sum(r["blocked"] for r in results) == 30
    assert all(r["ok"] > 0 for r in results), results  # both really competed
    assert len(uw_server.hits) == 20  # the server saw exactly the limit, never more
    state = load_state(paths.uw_usage_state, UsageState)
    assert state.calls_today == 20 and state.blocked_today == 30
    assert state.calls_by_caller == {"intel": 20}
