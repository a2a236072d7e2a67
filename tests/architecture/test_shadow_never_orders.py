"""Contract 4.17/4.18: the v2 shadow path can never reach order submission.

Static half: walk the import graph (every `import`, including lazy ones inside functions) from
every module under src/shadow, src/exit and src/intel, following src.* modules transitively;
no path may reach `src.broker` or the `alpaca` SDK. Runtime half: a full shadow cycle and every
exit-intel job run in a fresh interpreter without either ever being loaded.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from src.core.paths import REPO_ROOT

ROOTS = ("src/shadow", "src/exit", "src/intel")
FORBIDDEN = ("src.broker", "alpaca")


def module_file(name: str) -> Path | None:
    base = REPO_ROOT.joinpath(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, absolute or relative, at any depth of the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import module`
    return out


def forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def v2_modules() -> list[str]:
    return sorted(module_name(p) for root in ROOTS for p in (REPO_ROOT / root).rglob("*.py"))


def reachable_violations(starts: list[str]) -> dict[str, list[str]]:
    """start module -> the import chain that reaches a forbidden module (empty when clean)."""
    assert starts, "no modules to check"
    bad: dict[str, list[str]] = {}
    for start in starts:
        seen = {start}
        stack = [(start, [start])]
        while stack:
            mod, chain = stack.pop()
            f = module_file(mod)
            if f is None:
                continue
            for imp in sorted(imports_of(f)):
                # importing a.b.c also runs a/__init__ and a/b/__init__
                parts = imp.split(".")
                for i in range(1, len(parts) + 1):
                    sub = ".".join(parts[:i])
                    if forbidden(sub):
                        bad.setdefault(start, chain + [sub])
                    if sub.startswith("src") and sub not in seen and module_file(sub) is not None:
                        seen.add(sub)
                        stack.append((sub, chain + [sub]))
    return bad


def test_no_import_path_from_v2_to_the_broker() -> None:
    modules = v2_modules()
    assert {"src.shadow.step", "src.shadow.trader", "src.exit.exit_score_v2", "src.intel.composite_v2"} <= set(modules)
    bad = reachable_violations(modules)
    assert not bad, "v2 modules that can reach order submission:\n" + "\n".join(
        f"  {k}: {' -> '.join(v)}" for k, v in sorted(bad.items())
    )


def test_the_walker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself: a lazy import inside a function is found."""
    probe = REPO_ROOT / "src" / "shadow" / "step.py"
    found = imports_of(probe)
    assert "src.intel.composite_v2" in found  # imported inside a function in step.py
    assert "src.engine.scoring" in found
    # and a module that does reach the broker is caught, with its chain
    bad = reachable_violations(["src.engine.pipeline"])
    assert bad["src.engine.pipeline"][-1].startswith("src.broker")


CHILD = r"""
import sys
from datetime import UTC, datetime
from src.core.paths import Paths
from src.core.settings import Settings
from src.shadow.step import shadow_step
from src.exit import exit_intel_jobs as j
from src.shadow.readiness import run_preopen_readiness
from tests.integration.shadow.fixtures import context, write_intel

paths = Paths.from_env().ensure()
now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
write_intel(paths, now, ["AAPL", "MSFT"])
ctx = context(paths, now, 1, {"AAPL": 200.0, "MSFT": 400.0}, {"AAPL": 4.0, "MSFT": 3.0}, {})
shadow_step(ctx)
assert ctx.extras["shadow"]["decisions"] == {"entry": 2}, ctx.extras["shadow"]
for body in (j.run_premarket_exit_intel, j.run_postmarket_exit_intel, j.run_exit_intel_pnl, j.run_exit_day_summary):
    assert body("2026-11-27", paths, Settings(), {})["ok"]
run_preopen_readiness("2026-11-27", paths, Settings(), {"skip_regression": True})
loaded = sorted(m for m in sys.modules if m == "alpaca" or m.startswith(("alpaca.", "src.broker")))
print("LOADED", loaded)
sys.exit(1 if loaded else 0)
"""


def test_a_shadow_cycle_never_loads_the_broker(tmp_path: Path) -> None:
    env = dict(os.environ, STOCKBOT_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO_ROOT))
    rc = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=120
    )
    assert rc.returncode == 0, rc.stdout + rc.stderr
    assert "LOADED []" in rc.stdout
