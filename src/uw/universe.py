"""The symbol universe UW symbol-level calls are restricted to (contract 4.5).

`state/daily_universe.json` (built each morning by the intel job) and `state/core_universe.json`
(the always-watched names) share one schema. Their union is the set of tickers any process may
ask UW about; the daemon polls exactly that set.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from src.core.paths import Paths
from src.core.state import load_state


class UniverseEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    symbol: str
    rank: int | None = None
    reason: str = ""
    score: float | None = None


class UniverseFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    as_of: str | None = None
    generated_at: float | None = None
    symbols: list[UniverseEntry] = Field(default_factory=list)


def normalize_symbol(symbol: str) -> str:
    return str(symbol or "").strip().upper()


def _read(path: Path, paths: Paths) -> set[str]:
    uf = load_state(path, UniverseFile, subsystem="uw_universe", paths=paths)
    return {s for s in (normalize_symbol(e.symbol) for e in uf.symbols) if s}


def allowed_symbols(paths: Paths) -> set[str]:
    """daily_universe ∪ core_universe (empty when neither file has symbols)."""
    return _read(paths.daily_universe, paths) | _read(paths.core_universe, paths)


def default_core(spec: str) -> list[str]:
    """The configured fallback list (comma separated), de-duplicated, order kept."""
    out: list[str] = []
    for raw in spec.split(","):
        s = normalize_symbol(raw)
        if s and s not in out:
            out.append(s)
    return out


class UniverseView:
    """allowed_symbols() re-read only when either file changes (the client asks on every call)."""

    def __init__(self, paths: Paths, fallback: list[str]) -> None:
        self.paths = paths
        self.fallback = list(fallback)
        self._key: tuple[object, ...] | None = None
        self._symbols: set[str] = set()
        self.using_fallback = False

    def _stamp(self) -> tuple[object, ...]:
        out: list[object] = []
        for p in (self.paths.daily_universe, self.paths.core_universe):
            try:
                st = os.stat(p)
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def symbols(self) -> set[str]:
        key = self._stamp()
        if key != self._key:
            found = allowed_symbols(self.paths)
            self.using_fallback = not found
            self._symbols = found or set(self.fallback)
            self._key = key
        return set(self._symbols)

    def ordered(self) -> list[str]:
        """Stable order for polling: fallback order first, then alphabetical."""
        syms = self.symbols()
        head = [s for s in self.fallback if s in syms]
        return head + sorted(syms - set(head))
