"""Regression checks for contract 4.8: the UW spec is present and sane, and the code only uses its paths.

`run_spec_checks(repo_root)` is called by the regression runner and by tests. The static audit
reads source with `ast` (never imports it): every string literal, f-string and `.format`
template that looks like a UW path (`/api/...`) in src/, services/ and scripts/ must name a spec
path; a trailing-slash prefix must prefix one. A second audit proves that no module except
`src/uw/uw_client.py` pairs an HTTP client library with UW.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from src.uw.spec import SpecError, UWSpec, load_spec

MIN_PATHS = 150
SCAN_DIRS = ("src", "services", "scripts")
UW_PATH_RE = re.compile(r"^/api/[A-Za-z0-9_\-{}<>:./\[\]]+$")
HTTP_LIBS = ("requests", "httpx", "urllib3", "aiohttp", "http.client", "urllib.request", "pycurl")
UW_MARKERS = ("unusualwhales", "uw_base_url", "UW_BASE_URL", "uw_api_key", "UW_API_KEY")
CLIENT = Path("src/uw/uw_client.py")
# servers and generators of UW paths, not clients of UW: the simulator serves them, the spec
# generator downloads the vendor's document (not an API call)
HTTP_ALLOWED = (CLIENT, Path("scripts/update_uw_spec.py"))


def _result(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "ok": bool(ok), "detail": detail}


def _fstring_text(node: ast.JoinedStr) -> str:
    parts = []
    for v in node.values:
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            parts.append(v.value)
        else:
            parts.append("{}")
    return "".join(parts)


def _path_like(text: str) -> str | None:
    text = text.strip().split("?", 1)[0]
    if "<path:" in text:  # a web framework's catch-all route (the simulator), not a UW path
        return None
    if text.startswith("/api/") and len(text) > len("/api/") and UW_PATH_RE.match(text):
        return text
    return None


def uw_paths_in_source(source: str) -> list[tuple[int, str]]:
    """(line, path) of every UW-path-looking string or template in one module's source."""
    tree = ast.parse(source)
    fstring_parts: set[int] = set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for v in node.values:
                fstring_parts.add(id(v))
            text = _path_like(_fstring_text(node))
            if text:
                found.append((node.lineno, text))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in fstring_parts:
            text = _path_like(node.value)
            if text:
                found.append((node.lineno, text))
    return sorted(found)


def _py_files(repo_root: Path) -> list[Path]:
    out: list[Path] = []
    for d in SCAN_DIRS:
        base = repo_root / d
        if base.is_dir():
            out += sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)
    return out


def audit_paths(repo_root: Path, spec: UWSpec) -> list[str]:
    """Human-readable problems: UW paths used in code that the spec does not have."""
    problems = []
    for f in _py_files(repo_root):
        try:
            found = uw_paths_in_source(f.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError) as exc:
            problems.append(f"{f.relative_to(repo_root)}: unreadable ({type(exc).__name__})")
            continue
        for line, text in found:
            if not spec.has_template(text):
                problems.append(f"{f.relative_to(repo_root)}:{line}: {text}")
    return problems


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def audit_http_bypass(repo_root: Path) -> list[str]:
    """Modules other than uw_client that import an HTTP client library and reference UW."""
    problems = []
    for f in _py_files(repo_root):
        rel = f.relative_to(repo_root)
        if rel in HTTP_ALLOWED:
            continue
        try:
            source = f.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue
        libs = {i for i in _imports(tree) if any(i == h or i.startswith(h + ".") for h in HTTP_LIBS)}
        if not libs:
            continue
        uses_uw = any(m in source for m in UW_MARKERS) or bool(uw_paths_in_source(source))
        if uses_uw:
            problems.append(f"{rel}: imports {sorted(libs)} and references UW")
    return problems


def run_spec_checks(repo_root: Path) -> list[dict[str, Any]]:
    """Every contract 4.8 check as {"name", "ok", "detail"}; never raises."""
    repo_root = Path(repo_root)
    spec_file = repo_root / "unusual_whales_api" / "api_spec.yaml"
    results = [_result("uw_spec_present", spec_file.is_file(), str(spec_file))]
    try:
        spec = load_spec(spec_file)
    except SpecError as exc:
        results.append(_result("uw_spec_parses", False, str(exc)))
        return results
    except Exception as exc:  # noqa: BLE001 - a corrupt spec is a failed check, not a crash
        results.append(_result("uw_spec_parses", False, f"{type(exc).__name__}: {exc}"))
        return results
    results.append(_result("uw_spec_parses", True, f"{len(spec.operations)} operations"))
    n = len(spec.templates)
    results.append(_result("uw_spec_path_count", n >= MIN_PATHS, f"{n} paths (minimum {MIN_PATHS})"))
    try:
        missing = audit_paths(repo_root, spec)
        results.append(
            _result(
                "uw_static_path_audit", not missing, "; ".join(missing[:20]) or "every UW path in code is in the spec"
            )
        )
        bypass = audit_http_bypass(repo_root)
        results.append(
            _result("uw_client_only_http", not bypass, "; ".join(bypass[:20]) or "only uw_client sends HTTP to UW")
        )
    except Exception as exc:  # noqa: BLE001
        results.append(_result("uw_static_path_audit", False, f"audit crashed: {type(exc).__name__}: {exc}"))
    return results
