"""Contract 1.3 as a regression check: importing every module starts nothing.

The audit itself (a fresh interpreter with an audit hook) lives in `src.core.import_audit`;
this module turns its report into pass/fail checks with a readable detail.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

MAX_LISTED = 10


def import_audit_checks(repo_root: Path) -> list[dict[str, Any]]:
    """Two checks: no side effect at import (threads, processes, sockets, file writes), and no import error."""
    from src.core.import_audit import run_import_audit

    with tempfile.TemporaryDirectory(prefix="stockbot-import-audit-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        try:
            report = run_import_audit(Path(repo_root), home)
        except Exception as exc:  # noqa: BLE001 - an audit that cannot run is a failed check
            return [{"name": "import_audit:side_effects", "ok": False, "detail": f"audit did not run: {exc!r}"}]
    effects = list(report.get("effects") or [])
    created = list(report.get("files_created_in_home") or [])
    errors = list(report.get("errors") or [])
    problems = [f"{e.get('module')}: {e.get('kind')} {e.get('what')}" for e in effects]
    problems += [f"file created in STOCKBOT_HOME: {p}" for p in created]
    modules = int(report.get("modules") or 0)
    return [
        {
            "name": "import_audit:side_effects",
            "ok": not problems and modules > 0,
            "detail": (f"{modules} modules imported, no thread/process/socket/file write" if not problems and modules
                       else "; ".join(problems[:MAX_LISTED]) or "no module was imported"),
        },
        {
            "name": "import_audit:errors",
            "ok": not errors,
            "detail": "every module imports" if not errors else "; ".join(
                f"{e.get('module')}: {e.get('error')}" for e in errors[:MAX_LISTED]),
        },
    ]
