"""Contract 1.3 check: import every module of the repo and record any side effect.

Runs in a fresh interpreter (`python -m src.core.import_audit ROOT`) with an audit hook
that records file writes, sockets, process spawns and new threads, then prints a JSON report.
Used by the contract test and the regression runner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CODE_DIRS = ("src", "services", "scripts", "reports", "bench")
# Third-party packages are imported before the hook is installed: the contract governs our
# modules, and some libraries do work at import (croniter runs `file -b` to learn the word size).
THIRD_PARTY_PREIMPORT = (
    "croniter", "rq", "rq.cron", "redis", "requests", "pydantic", "pydantic_settings", "orjson", "yaml",
    "alpaca.trading.client", "alpaca.data.historical", "exchange_calendars", "pandas", "numpy", "flask",
    "werkzeug", "matplotlib", "tqdm", "psutil", "filelock", "honcho", "rq_dashboard",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def module_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for d in CODE_DIRS:
        base = root / d
        if base.is_dir():
            out.extend(p for p in sorted(base.rglob("*.py")) if "__pycache__" not in p.parts)
    return out


def _audit(root: Path) -> dict:
    import importlib.util
    import threading

    effects: list[dict] = []
    current = {"module": "<startup>"}

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing and isinstance(path, (str, bytes, os.PathLike)):
                p = os.fsdecode(path)
                if not p.endswith((".pyc", ".pyc.tmp")) and "__pycache__" not in p and not p.startswith("/dev/"):
                    effects.append({"module": current["module"], "kind": "file_write", "what": p})
        elif event in ("socket.connect", "socket.bind"):
            effects.append({"module": current["module"], "kind": event, "what": repr(args[1:])[:200]})
        elif event in ("subprocess.Popen", "os.fork", "os.posix_spawn", "os.system", "os.exec"):
            effects.append({"module": current["module"], "kind": event, "what": repr(args)[:200]})

    for name in THIRD_PARTY_PREIMPORT:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001,S112 - an absent optional library is not our side effect
            continue
    sys.path.insert(0, str(root))
    sys.addaudithook(hook)
    errors: list[dict] = []
    files = module_files(root)
    for i, f in enumerate(files):
        rel = f.relative_to(root)
        current["module"] = str(rel)
        before = set(threading.enumerate())
        if rel.parts[0] == "src":
            name = ".".join(rel.with_suffix("").parts)
            if name.endswith(".__init__"):
                name = name[: -len(".__init__")]
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                errors.append({"module": str(rel), "error": f"{type(exc).__name__}: {exc}"[:300]})
        else:
            spec = importlib.util.spec_from_file_location(f"_audit_mod_{i}", f)
            if spec is None or spec.loader is None:
                continue
            mod = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(f.parent))
            try:
                spec.loader.exec_module(mod)
            except Exception as exc:  # noqa: BLE001
                errors.append({"module": str(rel), "error": f"{type(exc).__name__}: {exc}"[:300]})
            finally:
                sys.path.remove(str(f.parent))
        for t in set(threading.enumerate()) - before:
            effects.append({"module": str(rel), "kind": "thread", "what": t.name})
    return {"modules": len(files), "effects": effects, "errors": errors}


def run_import_audit(root: Path, home: Path) -> dict:
    """Audit in a fresh interpreter with STOCKBOT_HOME=home; returns the JSON report."""
    env = dict(os.environ, STOCKBOT_HOME=str(home), MPLCONFIGDIR=str(home / ".mpl"), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "src.core.import_audit", str(root)],
        capture_output=True,
        text=True,
        cwd=str(home),
        env=env,
        timeout=300,
    )
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        report = {"modules": 0, "effects": [], "errors": [{"module": "<audit>", "error": proc.stderr[-2000:]}]}
    if home.exists():
        created = [str(p) for p in home.rglob("*") if ".mpl" not in p.parts and p.is_file()]
        report["files_created_in_home"] = created
    return report


if __name__ == "__main__":
    print(json.dumps(_audit(Path(sys.argv[1]).resolve())))
