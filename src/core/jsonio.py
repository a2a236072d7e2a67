"""The one atomic JSON writer and the one JSONL appender/reader.

Atomic write: temp file in the same folder, fsync, os.replace, fsync of the folder, so a
reader sees the old file or the new one, never a torn one, even across a power cut.
JSONL append: one os.write() of one line on an O_APPEND descriptor under an flock, so lines
from several processes never interleave regardless of line length.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def dumps(obj: Any, *, indent: bool = False) -> bytes:
    """Deterministic JSON bytes (sorted keys), so equal inputs give equal files."""
    opts = _OPTS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(obj, default=_default, option=opts)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse directory fsync; the rename is still atomic
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, fsync_file: bool = True, fsync_folder: bool = True) -> None:
    """Replace `path` atomically for readers. Durability is the caller's choice: state that only
    the disk remembers keeps both fsyncs (the default); a cache entry or a counter that the
    network restores may skip them (each fsync costs a disk flush on every call)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync_file:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if fsync_folder:
        fsync_dir(path.parent)


def model_bytes(model: Any) -> bytes:
    """A pydantic model as the same bytes atomic_write_json writes."""
    return dumps(model.model_dump(mode="json", by_alias=True), indent=True) + b"\n"


def atomic_write_json(path: Path, obj: Any, *, indent: bool = True) -> None:
    atomic_write_bytes(path, dumps(obj, indent=indent) + b"\n")


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def append_jsonl(path: Path, record: Any) -> None:
    """Append one JSON line; safe across processes (flock + single write)."""
    path = Path(path)
    line = dumps(record) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            view = memoryview(line)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@dataclass
class JsonlStats:
    lines: int = 0
    skipped: int = 0


def iter_jsonl(path: Path, stats: JsonlStats | None = None) -> Iterator[dict[str, Any]]:
    """Yield each JSON object line; torn, blank or non-object lines are skipped and counted.

    Streams line by line so a multi-GB log never sits in memory.
    """
    stats = stats if stats is not None else JsonlStats()
    try:
        fh = open(path, "rb")
    except OSError:
        return
    with fh:
        for raw in fh:
            raw = raw.strip()
            if not raw:
                continue
            stats.lines += 1
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                stats.skipped += 1
                continue
            if not isinstance(obj, dict):
                stats.skipped += 1
                continue
            yield obj


def read_jsonl(path: Path) -> tuple[list[dict[str, Any]], int]:
    """All object lines of a (small) JSONL file and the number of lines skipped."""
    stats = JsonlStats()
    rows = list(iter_jsonl(path, stats))
    return rows, stats.skipped


def tail_jsonl(path: Path, n: int, max_bytes: int = 1_000_000) -> list[dict[str, Any]]:
    """The last n object lines, reading at most max_bytes from the end."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            chunk = fh.read()
    except OSError:
        return []
    out: list[dict[str, Any]] = []
    lines = chunk.splitlines()
    if size > max_bytes and lines:
        lines = lines[1:]  # first line may be cut by the seek
    for raw in reversed(lines):
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
            if len(out) >= n:
                break
    out.reverse()
    return out
