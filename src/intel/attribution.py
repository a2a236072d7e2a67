"""Intel attribution (contract 4.10): which intel moved which v2 score, by how much.

Append-only `logs/uw_attribution.jsonl`, one line per v2 scoring. Writing is best-effort by
design: a full disk or a bad record costs one event, never a score.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from src.core.events import emit, utc_iso
from src.core.jsonio import append_jsonl
from src.core.paths import Paths

ATTRIBUTION_VERSION = 1


def attribution_record(result: Mapping[str, Any], v1_score: float, ts: str | None = None) -> dict[str, Any]:
    """Pure: the attribution line for one composite v2 output."""
    meta = result.get("v2_metadata") or {}
    adjustments = dict(result.get("uw_adjustments") or {})
    inputs = meta.get("inputs") or {}
    return {
        "ts": ts or utc_iso(),
        "attribution_version": ATTRIBUTION_VERSION,
        "symbol": result.get("symbol"),
        "direction": result.get("direction"),
        "v1_score": v1_score,
        "v2_score": result.get("score"),
        "delta": round(float(result.get("score") or 0.0) - float(v1_score or 0.0), 6),
        "uw_adjustments": adjustments,
        "top_driver": max(adjustments, key=lambda k: abs(adjustments[k])) if adjustments else None,
        "multipliers": result.get("multipliers"),
        "sector": meta.get("sector"),
        "regime": meta.get("regime"),
        "inputs": {k: (v or {}).get("status") for k, v in inputs.items()},
        "flags": meta.get("flags", []),
    }


def append_attribution(paths: Paths, records: Iterable[Mapping[str, Any]]) -> int:
    """Append records (the shadow trader may batch a cycle); returns lines written, never raises."""
    n = 0
    try:
        for r in records:
            append_jsonl(paths.uw_attribution_log, dict(r))
            n += 1
    except Exception as exc:  # noqa: BLE001 - contract 4.10: attribution never breaks scoring
        _report_failure(paths, exc, n)
    return n


_FAILURE_EVENT_INTERVAL_S = 300.0
_last_failure_event: dict[str, float] = {}
_suppressed: dict[str, int] = {}


def _report_failure(paths: Paths, exc: Exception, written: int) -> None:
    """One event per log path per 5 minutes: a broken log under a 60 s cycle must not flood events."""
    key = str(paths.uw_attribution_log)
    now = time.monotonic()
    last = _last_failure_event.get(key)
    if last is not None and now - last < _FAILURE_EVENT_INTERVAL_S:
        _suppressed[key] = _suppressed.get(key, 0) + 1
        return
    _last_failure_event[key] = now
    emit(
        "intel",
        "uw_attribution_write_failed",
        "warning",
        paths=paths,
        error=repr(exc)[:300],
        written=written,
        suppressed_since_last=_suppressed.pop(key, 0),
    )
