"""Contract 1: engine startup model, supervisor as single authority, no import-time side effects."""

from __future__ import annotations

import ast
import subprocess
import sys

from src.core.import_audit import module_files, run_import_audit
from src.core.paths import REPO_ROOT


def test_1_3_importing_every_module_starts_nothing(tmp_path):
    """1.3: importing any file must be safe and inert (no thread, process, socket or file write)."""
    home = tmp_path / "home"
    home.mkdir()
    report = run_import_audit(REPO_ROOT, home)
    assert report["modules"] >= 10
    assert report["effects"] == []
    assert report["errors"] == []
    assert report["files_created_in_home"] == []


def test_1_3_audit_catches_a_side_effect(tmp_path):
    """The audit itself must be able to fail: a module that writes a file and starts a thread."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "bad.py").write_text(
        "import threading, time\nopen('written.txt', 'w').write('x')\n"
        "threading.Thread(target=time.sleep, args=(2,), daemon=True).start()\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    report = run_import_audit(root, home)
    kinds = {e["kind"] for e in report["effects"]}
    assert {"file_write", "thread"} <= kinds


def test_1_1_main_does_not_start_on_import(tmp_path):
    """1.1: main.py starts no loop on import; only __main__ runs it."""
    code = (
        "import importlib.util, threading;"
        f"s=importlib.util.spec_from_file_location('m', r'{REPO_ROOT / 'services/engine/main.py'}');"
        "m=importlib.util.module_from_spec(s); s.loader.exec_module(m);"
        "print(threading.active_count(), hasattr(m, 'main'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         env={"STOCKBOT_HOME": str(tmp_path / "h"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.split() == ["1", "True"], out.stderr
    assert not (tmp_path / "h").exists()
    src = (REPO_ROOT / "services/engine/main.py").read_text()
    tree = ast.parse(src)
    top_calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert top_calls == []


def test_1_2_only_the_supervisor_spawns_the_engine():
    """1.2: no module other than deploy_supervisor.py may start the engine."""
    offenders = []
    for f in module_files(REPO_ROOT):
        if f.name == "deploy_supervisor.py" or "tests" in f.parts:
            continue
        text = f.read_text(errors="replace")
        if "engine/main.py" in text and any(k in text for k in ("Popen", "subprocess.run", "os.exec", "spawn")):
            offenders.append(str(f))
    assert offenders == []
    sup = (REPO_ROOT / "services/supervisor/deploy_supervisor.py").read_text()
    assert '"engine" / "main.py"' in sup
