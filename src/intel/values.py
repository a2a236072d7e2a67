"""Tolerant reading of UW values and timestamps.

UW sends numbers as strings ("182.91"), sometimes null, and timestamps in several shapes;
intel must read all of them without raising, turning anything unusable into None.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any


def num(value: Any) -> float | None:
    """A finite float from a number or numeric string, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def rows(payload: Any) -> list[dict[str, Any]]:
    """The list of object rows in a UW payload (`{"data": [...]}`, a bare list, or one object)."""
    data = payload.get("data", payload) if isinstance(payload, dict) else payload
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    return []


def parse_ts(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch seconds/ms, ISO text or 'YYYY-MM-DD'; None if unusable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        v = float(value)
        if not math.isfinite(v) or v <= 0:
            return None
        if v > 1e12:
            v /= 1000.0
        try:
            return datetime.fromtimestamp(v, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        n = num(text)
        if n is not None and "-" not in text:
            return parse_ts(n)
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def age_seconds(as_of: Any, now: datetime) -> float | None:
    ts = parse_ts(as_of)
    return None if ts is None else max(0.0, (now - ts).total_seconds())


def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def job_now(options: dict[str, Any] | None) -> datetime:
    """The job's notion of now: options['now'] (tests, replays) or the process clock."""
    given = parse_ts((options or {}).get("now"))
    if given is not None:
        return given
    from src.core.clock import clock_from_env

    return clock_from_env().now()
