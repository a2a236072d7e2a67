"""The self-healing state loader (contract 3) and the typed state writer.

`load_state(path, Model)` never raises. A missing file yields the model's default. Anything
unreadable or invalid is moved aside as `<name>.corrupted.<UTC ts>.json`, a minimal valid
default is written in its place, and exactly one event is emitted.
`inspect_state` is the same read without the healing, for readers that do not own a file
(the engine reading the daemon's cache must never move the daemon's file).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from src.core.events import emit
from src.core.jsonio import atomic_write_json
from src.core.paths import Paths

M = TypeVar("M", bound=BaseModel)


class LoadStatus(StrEnum):
    ok = "ok"
    missing = "missing"
    corrupt = "corrupt"


@dataclass
class LoadResult(Generic[M]):
    status: LoadStatus
    value: M | None
    error: str = ""


def inspect_state(path: Path, model: type[M]) -> LoadResult[M]:
    """Read and validate without side effects."""
    path = Path(path)
    try:
        if not path.exists() and not path.is_symlink():
            return LoadResult(LoadStatus.missing, None)
        if path.is_dir():
            return LoadResult(LoadStatus.corrupt, None, "a directory stands where the file belongs")
        raw = path.read_bytes()
    except OSError as exc:
        return LoadResult(LoadStatus.corrupt, None, f"unreadable: {type(exc).__name__}: {exc.strerror or exc}")
    if not raw.strip():
        return LoadResult(LoadStatus.corrupt, None, "empty file")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return LoadResult(LoadStatus.corrupt, None, f"not JSON: {str(exc)[:200]}")
    try:
        return LoadResult(LoadStatus.ok, model.model_validate(data))
    except ValidationError as exc:
        return LoadResult(LoadStatus.corrupt, None, f"schema: {exc.error_count()} error(s): {str(exc)[:300]}")
    except Exception as exc:  # noqa: BLE001 - a validator bug must not escape the loader
        return LoadResult(LoadStatus.corrupt, None, f"validation crashed: {type(exc).__name__}: {exc}")


def quarantine_path(path: Path) -> Path:
    """`<stem>.corrupted.<UTC ts>.json`, unique even for two quarantines in one second."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    candidate = path.with_name(f"{stem}.corrupted.{stamp}.json")
    n = 1
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{stem}.corrupted.{stamp}-{n}.json")
        n += 1
    return candidate


def _move_aside(path: Path) -> Path | None:
    target = quarantine_path(path)
    try:
        os.replace(path, target) if not path.is_dir() else shutil.move(str(path), str(target))
        return target
    except OSError:
        pass
    try:  # unreadable but not movable (e.g. permissions on the folder): try removing it
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        pass
    return None


def load_state(
    path: Path,
    model: type[M],
    *,
    subsystem: str = "state",
    paths: Paths | None = None,
    write_default_if_missing: bool = False,
) -> M:
    """Return the validated file content, healing it if needed. Never raises."""
    path = Path(path)
    try:
        result = inspect_state(path, model)
        if result.status is LoadStatus.ok and result.value is not None:
            return result.value
        default = model()
        if result.status is LoadStatus.missing:
            if write_default_if_missing:
                _write_quietly(path, default)
            return default
        moved = _move_aside(path)
        _write_quietly(path, default)
        emit(
            subsystem,
            "state_file_corrupted",
            "error",
            paths=paths,
            file=str(path),
            reason=result.error,
            quarantined_to=str(moved) if moved else None,
            recreated_default=True,
        )
        return default
    except Exception as exc:  # noqa: BLE001 - contract 3.2: state never crashes a process
        emit(subsystem, "state_load_failed", "error", paths=paths, file=str(path), error=repr(exc))
        try:
            return model()
        except Exception:  # noqa: BLE001
            return model.model_construct()


def _write_quietly(path: Path, value: BaseModel) -> None:
    try:
        save_state(path, value)
    except OSError as exc:
        emit("state", "state_default_write_failed", "error", file=str(path), error=repr(exc))


def save_state(path: Path, value: BaseModel) -> None:
    """Atomic write of a state model (by alias, JSON mode)."""
    atomic_write_json(Path(path), value.model_dump(mode="json", by_alias=True))
