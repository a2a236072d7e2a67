"""Streaming readers that turn the day's logs into small typed records.

Logs are written by other subsystems and may be torn, partial or from an older schema, so
every field is read with `.get()` and coerced; a line that cannot become a record is counted,
never raised. Records are plain slotted dataclasses: at a million lines, pydantic validation
per line would cost more than the whole rest of the bundle.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson

from src.core.clock import NY, MarketCalendar

R = TypeVar("R")
SKIP: Any = object()  # a parse result meaning "valid line, not wanted for this day"


@dataclass
class ReadStats:
    """Per-input counters reported in the manifest: lines seen, torn lines, unusable objects."""

    path: str
    exists: bool = False
    lines: int = 0
    skipped: int = 0
    unusable: int = 0
    in_day: int = 0


# ---------------------------------------------------------------- coercion
def to_float(value: Any) -> float | None:
    t = type(value)
    if t is float:  # the common case first: this runs for every number of every line
        return value if math.isfinite(value) else None
    if t is int:
        return float(value)
    if t is str:
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


_LAST_TS: tuple[Any, float | None] = (None, None)


def parse_ts(value: Any) -> float | None:
    """Epoch seconds from an ISO-8601 string (naive = UTC) or an epoch number (s or ms).

    The day filter parses a line's timestamp and then the record parser parses the very same
    object again; remembering the last (object, result) pair makes the second call free. The
    pair holds a reference, so the identity check can never match a recycled object.
    """
    global _LAST_TS
    last = _LAST_TS
    if last[0] is value and value is not None:
        return last[1]
    out = _parse_ts(value)
    _LAST_TS = (value, out)
    return out


def _parse_ts(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    f = to_float(value)
    if f is None or f <= 0:
        return None
    return f / 1000.0 if f > 1e12 else f


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def norm_side(value: Any) -> str:
    s = str(value or "").lower()
    if s in ("long", "buy", "bullish"):
        return "long"
    if s in ("short", "sell", "sell_short", "bearish"):
        return "short"
    return "unknown"


def numeric_dict(value: Any, nested: bool = False) -> dict[str, float]:
    """Numeric leaves of a dict; with nested=True one level of sub-dicts becomes 'outer.inner' keys
    (both trade writers keep the score components under feature_snapshot.components)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, float] = {}
    for k, v in value.items():
        if type(v) is float and math.isfinite(v):
            out[k if type(k) is str else str(k)] = v
        elif nested and isinstance(v, dict):
            for ik, iv in numeric_dict(v).items():
                out[f"{k}.{ik}"] = iv
        else:
            f = to_float(v)
            if f is not None:
                out[str(k)] = f
    return out


# ---------------------------------------------------------------- the day
@dataclass(frozen=True)
class DayWindow:
    """The NY trading date as a UTC epoch range, plus the close that ends the PnL windows."""

    day: str
    start: float
    end: float
    close: float

    @classmethod
    def for_day(cls, day: str, calendar: MarketCalendar | None = None) -> DayWindow:
        d = date.fromisoformat(day)
        start = datetime(d.year, d.month, d.day, tzinfo=NY)
        end = start + timedelta(days=1)
        close = datetime(d.year, d.month, d.day, 16, 0, tzinfo=NY)
        try:
            session = (calendar or MarketCalendar()).session(d)
            if session is not None:
                close = session.close
        except Exception:  # noqa: BLE001 - the calendar is a refinement, 16:00 NY is the fallback
            pass
        return cls(day, start.timestamp(), end.timestamp(), close.timestamp())

    def contains(self, ts: float | None) -> bool:
        return ts is not None and self.start <= ts < self.end


def date_bounds(start: float, end: float) -> tuple[str, str]:
    """UTC dates one day either side of [start, end]: any ISO string dated outside is out of range
    whatever its offset (offsets stay within +-14 h), so a prefix compare can skip the full parse."""
    lo = datetime.fromtimestamp(start, UTC) - timedelta(days=1)
    hi = datetime.fromtimestamp(end, UTC) + timedelta(days=1)
    return lo.date().isoformat(), hi.date().isoformat()


def parse_ts_within(value: Any, bounds: tuple[str, str]) -> float | None:
    """parse_ts, except that an ISO string clearly dated outside bounds returns None cheaply."""
    if type(value) is str and len(value) >= 10 and value[4] == "-" and not (bounds[0] <= value[:10] <= bounds[1]):
        return None
    return parse_ts(value)


# ---------------------------------------------------------------- records
@dataclass(slots=True)
class Trade:
    """Only the fields some artifact reads: at a million lines every parsed field costs (trade_id,
    entry_ts, prices, size, score_at_entry and exit_reason are in the log but no artifact uses them; the
    prices and size are read only to derive a missing realized PnL)."""

    symbol: str
    side: str
    source: str
    exit_ts: float | None
    pnl: float
    signals: tuple[str, ...]
    features: dict[str, float]
    regime: str
    sector: str


@dataclass(slots=True)
class Entry:
    """An entry decision: a v1 attribution line or a v2 shadow decision."""

    ts: float
    symbol: str
    side: str
    score: float | None
    price: float | None
    components: dict[str, float]
    action: str = "entry"
    v1_score: float | None = None
    regime: str = ""
    family: str = ""


@dataclass(slots=True)
class ExitRecord:
    ts: float | None
    symbol: str
    exit_reason: str
    pnl: float | None
    replacement_candidate: str | None
    replacement_reasoning: Any
    keys: frozenset[str] = field(default_factory=frozenset)
    component_keys: frozenset[str] = field(default_factory=frozenset)


def _source(row: dict[str, Any]) -> str:
    src = str(row.get("source") or "").lower()
    if src in ("live", "shadow"):
        return src
    if row.get("is_shadow") is True:
        return "shadow"
    if row.get("is_live") is True:
        return "live"
    return "unknown"


_SIDE_FAST = {"long": "long", "short": "short", "buy": "long", "sell": "short"}
_SOURCE_FAST = {"live": "live", "shadow": "shadow"}


def _side(raw: Any) -> str:
    return (_SIDE_FAST.get(raw) if type(raw) is str else None) or norm_side(raw)


def parse_trade(row: dict[str, Any]) -> Trade | None:
    get = row.get  # runs for every line of the largest log: bound once, positional construction below
    symbol = get("symbol")
    if not isinstance(symbol, str) or not symbol:
        return None
    exit_ts = parse_ts(get("exit_ts"))  # first: the day filter just parsed this same value (cache hit)
    raw = get("side")
    side = (_SIDE_FAST.get(raw) if type(raw) is str else None) or norm_side(raw)
    pnl = to_float(get("realized_pnl_usd"))
    if pnl is None:  # prices and size matter only for a line that lacks its realized PnL
        entry_price, exit_price, size = to_float(get("entry_price")), to_float(get("exit_price")), to_float(get("size"))
        if entry_price is None or exit_price is None or size is None or side == "unknown":
            return None
        pnl = (exit_price - entry_price) * size * (1.0 if side == "long" else -1.0)
    sig = get("signals")
    if type(sig) is list:
        if all(type(s) is str for s in sig):
            signals = tuple(sorted(set(sig)))
        else:
            signals = tuple(sorted({str(s) for s in sig if isinstance(s, (str, int))}))
    elif isinstance(sig, list):
        signals = tuple(sorted({str(s) for s in sig if isinstance(s, (str, int))}))
    else:
        signals = ()
    regime_snap = get("regime_snapshot")
    regime_snap = regime_snap if isinstance(regime_snap, dict) else {}
    features_raw = get("feature_snapshot")
    features_raw = features_raw if isinstance(features_raw, dict) else {}
    regime = regime_snap.get("regime") or regime_snap.get("entry_regime") or "unknown"
    sector = get("sector")
    if not (type(sector) is str and sector):
        sector = "unknown"
        for s in (features_raw.get("sector"), regime_snap.get("sector")):
            if isinstance(s, str) and s:
                sector = s
                break
    raw = get("source")
    source = (_SOURCE_FAST.get(raw) if type(raw) is str else None) or _source(row)
    return Trade(symbol.upper(), side, source, exit_ts, pnl, signals, numeric_dict(features_raw, nested=True),
                 regime if type(regime) is str else str(regime), sector)


def parse_v1_entry(row: dict[str, Any]) -> Entry | None:
    ts, symbol = parse_ts(row.get("ts")), row.get("symbol")
    if ts is None or not isinstance(symbol, str) or not symbol:
        return None
    if row.get("via") == "adopted":  # a position found at the broker, not an entry decision
        return SKIP
    price = to_float(row.get("price"))
    return Entry(ts, symbol.upper(), _side(row.get("side")), to_float(row.get("score")),
                 price if price is not None else to_float(row.get("entry_price")), numeric_dict(row.get("components")))


def parse_shadow_decision(row: dict[str, Any]) -> Entry | None:
    """Components only for entries: they feed the parity family, and only entries are paired."""
    ts, symbol = parse_ts(row.get("ts")), row.get("symbol")
    if ts is None or not isinstance(symbol, str) or not symbol:
        return None
    action = str(row.get("action") or "unknown").lower()
    return Entry(ts, symbol.upper(), _side(row.get("side")), to_float(row.get("v2_score")),
                 to_float(row.get("price")), numeric_dict(row.get("components")) if action == "entry" else {},
                 action=action, v1_score=to_float(row.get("v1_score")), regime=str(row.get("regime") or ""))


def parse_exit_attribution(row: dict[str, Any]) -> ExitRecord:
    ts = None
    for key in ("exit_ts", "ts", "timestamp", "exit_time"):
        ts = parse_ts(row.get(key))
        if ts is not None:
            break
    comps = row.get("v2_exit_components")
    cand = row.get("replacement_candidate")
    return ExitRecord(
        ts=ts,
        symbol=str(row.get("symbol") or "").upper(),
        exit_reason=str(row.get("exit_reason") or ""),
        pnl=to_float(row.get("pnl")),
        replacement_candidate=str(cand).upper() if isinstance(cand, str) and cand else None,
        replacement_reasoning=row.get("replacement_reasoning"),
        keys=frozenset(k for k, v in row.items() if v is not None),
        component_keys=frozenset(k for k, v in comps.items() if v is not None) if isinstance(comps, dict) else frozenset(),
    )


# ---------------------------------------------------------------- streaming
def _progress(it: Iterable[R], desc: str) -> Iterable[R]:
    """A tqdm bar only for a human at a terminal; pipes and CI get the bare iterator."""
    try:
        if not sys.stderr.isatty():
            return it
    except (AttributeError, ValueError):
        return it
    from tqdm import tqdm

    return tqdm(it, desc=desc, unit=" lines", mininterval=0.5, leave=False)


def stream(path: Path, parse: Callable[[dict[str, Any]], R | None], stats: ReadStats) -> Iterator[R]:
    """Typed records from a JSONL log, line by line, updating stats as it goes.

    The line loop is iter_jsonl's (same stripping, counting and torn-line rules) fused with the
    parse: one generator per line instead of two is a measurable share at a million lines."""
    path = Path(path)
    stats.exists = path.is_file()
    if not stats.exists:
        return
    try:
        fh = open(path, "rb")
    except OSError:
        return
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    lines = skipped = unusable = in_day = 0
    try:
        with fh:
            for raw in _progress(fh, path.name):
                try:  # JSON whitespace around the object is legal: strip (a copy) only if it fails
                    row = loads(raw)
                except decode_error:
                    raw = raw.strip()
                    if not raw:  # a blank line is not a line
                        continue
                    lines += 1
                    try:
                        row = loads(raw)
                    except decode_error:
                        skipped += 1
                        continue
                else:
                    lines += 1
                if type(row) is not dict:
                    skipped += 1
                    continue
                try:
                    rec = parse(row)
                except Exception:  # noqa: BLE001 - one odd line must not end the bundle
                    rec = None
                if rec is None:
                    unusable += 1
                    continue
                if rec is SKIP:
                    continue
                in_day += 1
                yield rec
    finally:
        stats.lines, stats.skipped = lines, skipped
        stats.unusable += unusable
        stats.in_day += in_day
