"""Write a JSON artifact whose last key holds a long list, one item at a time.

A busy day's entry_parity_details.json holds hundreds of thousands of rows: building them all as
objects, then as one dict tree, then as one bytes blob costs gigabytes. This writer produces
exactly the bytes `atomic_write_json(path, {**head, key: items})` would (same options, same
indentation, trailing newline), with the same atomic temp-file + rename, while holding one item.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from src.core.jsonio import dumps, fsync_dir

_NL, _ITEM_NL = b"\n", b"\n  "  # a list dumped alone has its items at depth 1; in the file they sit at 2


class JsonListWriter:
    """Usage: create, `add` items in their final order, then `commit` (or `abort`)."""

    def __init__(self, path: Path, head: dict[str, Any], key: str) -> None:
        if any(k > key for k in head):
            raise ValueError(f"{key!r} must sort last among the artifact's keys to be streamed")
        self.path = Path(path)
        skeleton = dumps({**head, key: []}, indent=True)
        marker = dumps(key) + b": []"
        cut = skeleton.rfind(marker)
        self._prefix = skeleton[: cut + len(marker) - 2]  # up to and including '"key": '
        self._suffix = skeleton[cut + len(marker):] + _NL
        self.count = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        self._fh: BinaryIO | None = os.fdopen(fd, "wb", buffering=1 << 20)
        self._fh.write(self._prefix)

    def add(self, item: Any) -> None:
        self.add_many([item])

    def add_many(self, items: list[Any]) -> None:
        """Several items in one serializer call: their list dumped at depth 0, re-indented by two."""
        if not items:
            return
        assert self._fh is not None
        blob = dumps(items, indent=True)  # b'[\n  {...},\n  {...}\n]'
        self._fh.write(b"[\n  " if self.count == 0 else b",\n  ")
        self._fh.write(blob[2:-2].replace(_NL, _ITEM_NL))
        self.count += len(items)

    def commit(self) -> Path:
        fh = self._fh
        assert fh is not None
        fh.write(b"[]" if self.count == 0 else b"\n  ]")
        fh.write(self._suffix)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        self._fh = None
        os.replace(self._tmp, self.path)
        fsync_dir(self.path.parent)
        return self.path

    def __enter__(self) -> JsonListWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()  # a no-op after commit

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
