"""The install path from a fresh clone: only committed files, `make install`, then the system imports and answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from src.core.paths import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None, reason="git and make are needed")
def test_fresh_clone_installs_and_runs(tmp_path):
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "STOCKBOT_", "PYTHON"))}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    r = subprocess.run(["make", "install"], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    py = clone / ".venv" / "bin" / "python"
    assert py.exists()
    env["STOCKBOT_HOME"] = str(tmp_path / "home")
    code = "import src.core.settings as s, src.engine.cycle; print(s.load_settings().mode.value)"
    r = subprocess.run([str(py), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "sim", r.stderr
    # the engine cycles from the clone with nothing but the clone's own files, and stops on SIGTERM
    engine = subprocess.Popen([str(py), str(clone / "services/engine/main.py")], cwd=tmp_path,
                              env={**env, "STOCKBOT_CYCLE_INTERVAL_S": "0.1"})
    run_log = tmp_path / "home" / "logs" / "run.jsonl"
    for _ in range(300):
        if run_log.exists() and len(run_log.read_text().splitlines()) >= 3:
            break
        time.sleep(0.1)
    engine.terminate()
    assert engine.wait(30) == 0
    assert len(run_log.read_text().splitlines()) >= 3
