"""telemetry_manifest.json: what the bundle read, what it wrote, from which code.

The generation time sits outside `content_sha256`, so two runs over the same inputs agree on
the hash even though they ran at different moments.
"""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from src.core.jsonio import dumps

CHUNK = 1 << 20
MANIFEST_SCHEMA_VERSION = 1


class InputEntry(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    path: str
    missing: bool
    size: int
    line_count: int
    sha256: str | None
    skipped_lines: int | None = None
    unusable_lines: int | None = None
    records_in_day: int | None = None


class OutputEntry(BaseModel):
    path: str
    size: int
    sha256: str


class TelemetryManifest(BaseModel):
    model_config = ConfigDict(extra="allow")
    schema_version: int
    day: str
    code_version: str
    content_sha256: str
    generated_at: str
    inputs: list[InputEntry]
    outputs: list[OutputEntry]
    notes: list[str]


def file_digest(path: Path) -> tuple[int, int, str]:
    """(size, newline count, sha256) in one chunked pass."""
    h = hashlib.sha256()
    size = lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return size, lines, h.hexdigest()


def describe_input(name: str, path: Path, root: Path) -> InputEntry:
    rel = _rel(path, root)
    try:
        if not path.is_file():
            return InputEntry(name=name, path=rel, missing=True, size=0, line_count=0, sha256=None)
        size, lines, digest = file_digest(path)
    except OSError:
        return InputEntry(name=name, path=rel, missing=True, size=0, line_count=0, sha256=None)
    return InputEntry(name=name, path=rel, missing=False, size=size, line_count=lines, sha256=digest)


def describe_output(path: Path, base: Path) -> OutputEntry:
    size, _, digest = file_digest(path)
    return OutputEntry(path=_rel(path, base), size=size, sha256=digest)


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def code_version(repo_root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo_root, capture_output=True, text=True, timeout=5,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) >= 7 else "unknown"


def build_manifest(day: str, version: str, inputs: list[InputEntry], outputs: list[OutputEntry],
                   notes: list[str]) -> TelemetryManifest:
    hashed = {"day": day, "code_version": version, "inputs": [i.model_dump() for i in inputs],
              "outputs": [o.model_dump() for o in outputs], "notes": notes}
    return TelemetryManifest(
        schema_version=MANIFEST_SCHEMA_VERSION, day=day, code_version=version,
        content_sha256=hashlib.sha256(dumps(hashed)).hexdigest(),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        inputs=inputs, outputs=outputs, notes=notes,
    )
