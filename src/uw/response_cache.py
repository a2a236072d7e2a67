"""UW response cache under `state/uw_cache/` (contract 4.5): TTL hits and last-good fallback.

One JSON file per (method, path, sorted params); the key is a hash, so no ticker or parameter
value ever becomes a path component. Entries hold the parsed body only: never headers, never
the key.

Writes are atomic (temp file + rename) and the entry is fsynced before the rename, so no reader
ever sees a torn entry, even after a power cut. The folder is not fsynced: the worst a power cut
can do is lose the newest entries, which costs one request each.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field

from src.core.jsonio import atomic_write_bytes, model_bytes
from src.core.paths import Paths
from src.core.state import load_state

# (template prefix or fragment, TTL seconds); first match wins. Values from the original system.
TTL_RULES: tuple[tuple[str, float], ...] = (
    ("flow-alerts", 30.0),
    ("/api/darkpool/", 60.0),
    ("/api/market/top-net-impact", 300.0),
    ("/api/market/market-tide", 600.0),
    ("sector-tide", 900.0),
    ("/api/congress/", 6 * 3600.0),
    ("/api/insider/", 6 * 3600.0),
    ("/api/institution/", 24 * 3600.0),
    ("/api/shorts/", 24 * 3600.0),
    ("greek-exposure", 300.0),
    ("/greeks", 300.0),
    ("oi-change", 300.0),
    ("iv-rank", 600.0),
    ("max-pain", 600.0),
    ("spot-exposures", 3600.0),
)
DEFAULT_TTL_S = 60.0


def ttl_for(template: str) -> float:
    for fragment, ttl in TTL_RULES:
        if fragment in template:
            return ttl
    return DEFAULT_TTL_S


class CachedResponse(BaseModel):
    key: str = ""
    method: str = "GET"
    path: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    stored_at: float | None = None  # epoch; None = no entry
    status: int = 0
    body: Any = None


def cache_key(method: str, path: str, params: dict[str, Any] | None) -> str:
    canon = orjson.dumps([method.upper(), path, sorted((str(k), v) for k, v in (params or {}).items())], default=str)
    return hashlib.sha256(canon).hexdigest()


class ResponseCache:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.root = paths.uw_cache_dir

    def file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedResponse | None:
        f = self.file(key)
        if not f.exists():
            return None
        entry = load_state(f, CachedResponse, subsystem="uw_client", paths=self.paths)
        return entry if entry.stored_at is not None and entry.key == key else None

    def fresh(self, key: str, ttl_s: float, now: float) -> CachedResponse | None:
        entry = self.get(key)
        if entry is None or entry.stored_at is None or now - entry.stored_at > ttl_s or now < entry.stored_at - 5:
            return None
        return entry

    def put(self, key: str, method: str, path: str, params: dict[str, Any], body: Any, status: int, now: float) -> None:
        entry = CachedResponse(
            key=key, method=method, path=path, params=params, stored_at=now, status=status, body=body
        )
        atomic_write_bytes(self.file(key), model_bytes(entry), fsync_folder=False)

    def prune(self, older_than: float) -> int:
        """Delete entries stored before `older_than` (epoch, file mtime); returns the count."""
        removed = 0
        if not self.root.exists():
            return 0
        for f in self.root.glob("*/*.json"):
            try:
                if f.stat().st_mtime < older_than:
                    os.unlink(f)
                    removed += 1
            except OSError:
                continue
        return removed
