"""The regression gate (contract 4.8, 4.20.8): one list of named checks, any failure fails the run.

Groups: `uw_spec` (spec present, parseable, >= 150 paths, static audit of UW paths in code; by
`src.uw.spec_checks`), `telemetry` (every computed artifact of the day present, non-empty,
well-formed and holding every required key), `import_audit` (contract 1.3) and
`state_self_heal` (contract 3: a corrupted sample is quarantined, defaulted and reported).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.telemetry.bundle import COMPUTED, MANIFEST, report_name
from src.telemetry.manifest import TelemetryManifest
from src.telemetry.models import ARTIFACT_MODELS

GROUPS = ("uw_spec", "telemetry", "import_audit", "state_self_heal")
Check = dict[str, Any]


def check(name: str, ok: bool, detail: str) -> Check:
    return {"name": name, "ok": bool(ok), "detail": detail}


# ---------------------------------------------------------------- UW spec (4.8)
def uw_spec_checks(repo_root: Path) -> list[Check]:
    try:
        from src.uw.spec_checks import run_spec_checks
    except Exception as exc:  # noqa: BLE001 - absent or broken: the gate must say so, not crash
        return [check("uw_spec:checks_importable", False, f"src.uw.spec_checks not importable: {exc!r}")]
    try:
        raw = run_spec_checks(repo_root)
    except Exception as exc:  # noqa: BLE001
        return [check("uw_spec:checks_ran", False, f"run_spec_checks raised {exc!r}")]
    out = []
    for r in raw or []:
        r = r if isinstance(r, dict) else {"name": str(r), "ok": False, "detail": "malformed check result"}
        out.append(check(f"uw_spec:{r.get('name', '?')}", bool(r.get("ok")), str(r.get("detail", ""))))
    return out or [check("uw_spec:checks_ran", False, "run_spec_checks returned no checks")]


# ---------------------------------------------------------------- telemetry (4.20.8)
def _first_error(exc: ValidationError) -> str:
    errs = exc.errors()
    parts = []
    for e in errs[:3]:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{loc or '<root>'}: {e.get('msg')}")
    more = f" (+{len(errs) - 3} more)" if len(errs) > 3 else ""
    return "; ".join(parts) + more


def validate_artifact(path: Path, model: type[BaseModel]) -> tuple[bool, str]:
    """Missing, zero-byte, non-JSON, non-object or key-missing files fail; empty arrays are valid (4.20.10)."""
    if not path.is_file():
        return False, "missing"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return False, f"unreadable: {exc.strerror or exc}"
    if not raw.strip():
        return False, "empty file"
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return False, f"malformed JSON: {str(exc)[:120]}"
    if not isinstance(data, dict) or not data:
        return False, "empty or not a JSON object"
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return False, f"schema: {_first_error(exc)}"
    return True, "ok"


def telemetry_checks(day: str, paths: Paths) -> list[Check]:
    out_dir = paths.telemetry_day(day)
    out = [check("telemetry:bundle_dir", out_dir.is_dir(), str(out_dir) if out_dir.is_dir() else f"missing: {out_dir}")]
    report = out_dir / report_name(day)
    ok = report.is_file() and report.stat().st_size > 0
    out.append(check("telemetry:report", ok, "ok" if ok else f"missing or empty: {report.name}"))
    ok, detail = validate_artifact(out_dir / MANIFEST, TelemetryManifest)
    out.append(check("telemetry:manifest", ok, detail))
    for name in sorted(ARTIFACT_MODELS):
        ok, detail = validate_artifact(out_dir / COMPUTED / name, ARTIFACT_MODELS[name])
        out.append(check(f"telemetry:{name}", ok, detail))
    return out


# ---------------------------------------------------------------- state loaders (contract 3)
class _Sample(BaseModel):
    regime: str = "unknown"
    confidence: float = 0.0
    symbols: list[str] = []


def state_self_heal_checks() -> list[Check]:
    """Corrupt a sample state file in a throw-away home and watch `load_state` heal it."""
    from src.core.state import LoadStatus, inspect_state, load_state

    samples = {"garbage": b"\x00\xff not json {", "empty": b"", "wrong_schema": b'{"confidence": "very"}'}
    out = []
    with tempfile.TemporaryDirectory(prefix="stockbot-selfheal-") as tmp:
        paths = Paths(Path(tmp)).ensure()
        for kind, payload in samples.items():
            target = paths.state / f"regression_sample_{kind}.json"
            target.write_bytes(payload)
            value = load_state(target, _Sample, subsystem="regression", paths=paths)
            quarantined = list(paths.state.glob(f"regression_sample_{kind}.corrupted.*.json"))
            healed = inspect_state(target, _Sample).status is LoadStatus.ok
            rows, _ = read_jsonl(paths.system_events)
            events = [r for r in rows if r.get("event_type") == "state_file_corrupted"
                      and str((r.get("details") or {}).get("file", "")).endswith(target.name)]
            problems = []
            if value != _Sample():
                problems.append("did not return the default")
            if len(quarantined) != 1:
                problems.append(f"{len(quarantined)} quarantine file(s), expected 1")
            if not healed:
                problems.append("file not rewritten as a valid default")
            if len(events) != 1:
                problems.append(f"{len(events)} state_file_corrupted event(s), expected 1")
            out.append(check(f"state_self_heal:{kind}", not problems,
                             "quarantined, default written, one event" if not problems else "; ".join(problems)))
    return out


# ---------------------------------------------------------------- the gate
def run_checks(day: str, paths: Paths, repo_root: Path = REPO_ROOT, skip: tuple[str, ...] = ()) -> list[Check]:
    checks: list[Check] = []
    groups = {
        "uw_spec": lambda: uw_spec_checks(repo_root),
        "telemetry": lambda: telemetry_checks(day, paths),
        "import_audit": lambda: _import_audit(repo_root),
        "state_self_heal": state_self_heal_checks,
    }
    for name in GROUPS:
        if name in skip:
            continue
        try:
            checks.extend(groups[name]())
        except Exception as exc:  # noqa: BLE001 - a crashing group is a failed check, the rest still run
            checks.append(check(f"{name}:ran", False, f"check group raised {exc!r}"))
    return checks


def _import_audit(repo_root: Path) -> list[Check]:
    from src.telemetry.import_audit import import_audit_checks

    return import_audit_checks(repo_root)


def summarize(checks: list[Check]) -> str:
    failed = [c for c in checks if not c["ok"]]
    if not failed:
        return f"regression PASSED: {len(checks)} checks"
    lines = [f"regression FAILED: {len(failed)} of {len(checks)} checks"]
    lines += [f"  FAIL {c['name']}: {c['detail']}" for c in failed]
    return "\n".join(lines)


def run_regression_checks(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Job body. options: skip=[group, ...], repo_root=PATH, json=bool (the script prints the dict)."""
    skip = tuple(options.get("skip") or ())
    unknown = [s for s in skip if s not in GROUPS]
    repo_root = Path(options.get("repo_root") or REPO_ROOT)
    checks = run_checks(day, paths, repo_root, skip)
    if unknown:
        checks.append(check("options:skip", False, f"unknown check group(s) {unknown}; known: {list(GROUPS)}"))
    ok = bool(checks) and all(c["ok"] for c in checks)
    return {"ok": ok, "message": summarize(checks), "artifacts": [], "checks": checks, "day": day,
            "skipped_groups": list(skip)}
