"""Exit attribution (contract 4.18, 4.20.3, 4.20.6): one line per shadow exit.

Every line carries every contract key; a value that is unknown stays present as null and is
named in `missing_fields`, so telemetry can count gaps instead of guessing. Building the
record is pure; appending is the only IO. Replacements add the candidate and the reasoning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from src.core.clock import trading_day
from src.core.jsonio import JsonlStats, append_jsonl, iter_jsonl
from src.core.paths import Paths
from src.exit.exit_score_v2 import num, side_sign
from src.exit.models import EXIT_COMPONENTS, EXIT_SCHEMA_VERSION

# contract 4.20.3 top-level keys (always present)
ATTRIBUTION_KEYS: tuple[str, ...] = (
    "pnl",
    "pnl_pct",
    "entry_price",
    "exit_price",
    "qty",
    "time_in_trade_minutes",
    "entry_regime",
    "exit_regime",
    "entry_sector_profile",
    "exit_sector_profile",
    "v2_exit_score",
    "v2_exit_components",
)


def parse_ts(value: Any) -> datetime | None:
    """ISO-8601 (naive means UTC) or epoch seconds -> aware UTC datetime; None if unusable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    f = num(value) if not isinstance(value, str) else None
    if f is not None:
        try:
            return datetime.fromtimestamp(f, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def realized_pnl(side: str, entry_price: Any, exit_price: Any, qty: Any) -> tuple[float | None, float | None]:
    """(pnl_usd, pnl_pct) oriented by side; None where an input is missing."""
    e, x, q = num(entry_price), num(exit_price), num(qty)
    sign = side_sign(side)
    pnl = None if e is None or x is None or q is None else round((x - e) * q * sign, 6)
    pct = None if e is None or x is None or e <= 0 else round((x / e - 1.0) * 100.0 * sign, 6)
    return pnl, pct


def _as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value if isinstance(value, Mapping) else {}


def build_exit_attribution(
    *,
    symbol: str,
    side: str,
    trade_id: str | None,
    entry_price: Any,
    exit_price: Any,
    qty: Any,
    entry_ts: Any,
    exit_ts: Any,
    exit_reason: str,
    entry_regime: Any = None,
    exit_regime: Any = None,
    entry_sector_profile: Any = None,
    exit_sector_profile: Any = None,
    exit_score: Any = None,
    replacement: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The attribution record; `exit_score` is an ExitScore (or its dict), `replacement` a ReplacementDecision."""
    score = _as_mapping(exit_score)
    pnl, pnl_pct = realized_pnl(side, entry_price, exit_price, qty)
    t0, t1 = parse_ts(entry_ts), parse_ts(exit_ts)
    minutes = None if t0 is None or t1 is None else round((t1 - t0).total_seconds() / 60.0, 3)
    raw_components = score.get("components") if isinstance(score.get("components"), Mapping) else {}
    components = {k: num(raw_components.get(k)) for k in EXIT_COMPONENTS}
    record: dict[str, Any] = {
        "schema_version": EXIT_SCHEMA_VERSION,
        "ts": iso(t1) if t1 else iso(datetime.now(UTC)),
        "source": "shadow",
        "symbol": str(symbol).upper(),
        "side": side,
        "trade_id": trade_id,
        "exit_reason": exit_reason,
        "entry_ts": iso(t0) if t0 else None,
        "exit_ts": iso(t1) if t1 else None,
        "pnl": pnl,
        "pnl_pct": pnl_pct,
        "entry_price": num(entry_price),
        "exit_price": num(exit_price),
        "qty": num(qty),
        "time_in_trade_minutes": minutes,
        "entry_regime": entry_regime or None,
        "exit_regime": exit_regime or None,
        "entry_sector_profile": entry_sector_profile or None,
        "exit_sector_profile": exit_sector_profile or None,
        "v2_exit_score": num(score.get("score")),
        "v2_exit_components": components,
        "thesis_flags": dict(score.get("thesis_flags") or {}),
        "exit_score_reasons": list(score.get("reasons") or []),
    }
    rep = _as_mapping(replacement)
    if exit_reason == "replacement" or rep.get("replace"):
        record["exit_reason"] = "replacement"
        record["replacement_candidate"] = rep.get("candidate")
        record["replacement_reasoning"] = dict(rep.get("reasoning") or {}) or None
    for k, v in (extra or {}).items():
        record.setdefault(k, v)
    record["missing_fields"] = missing_fields(record)
    return record


def missing_fields(record: Mapping[str, Any]) -> list[str]:
    out = [k for k in ATTRIBUTION_KEYS if record.get(k) is None]
    comps = record.get("v2_exit_components")
    comps = comps if isinstance(comps, Mapping) else {}
    out += [f"v2_exit_components.{k}" for k in EXIT_COMPONENTS if comps.get(k) is None]
    if record.get("exit_reason") == "replacement":
        out += [k for k in ("replacement_candidate", "replacement_reasoning") if record.get(k) is None]
    return out


def append_exit_attribution(paths: Paths, record: Mapping[str, Any]) -> None:
    append_jsonl(paths.exit_attribution_log, dict(record))


def iter_day_exits(paths: Paths, day: str, stats: JsonlStats | None = None) -> Iterator[dict[str, Any]]:
    """Attribution lines whose exit falls on the NY trading day `day`."""
    for row in iter_jsonl(paths.exit_attribution_log, stats):
        ts = parse_ts(row.get("exit_ts") or row.get("ts"))
        if ts is not None and trading_day(ts) == day:
            yield row
