"""Schemas and writers of the v1 trading logs (append-only JSONL, one schema_version per line).

orders.jsonl          every submit / ack / fill / partial / reject / cancel / timeout
blocked_trades.jsonl  every refused candidate with its reason (once per streak, see step_state)
attribution.jsonl     every entry with its score components
exits.jsonl           every exit fill with reason and P&L
displacement.jsonl    both halves of every displacement with the scores and reasoning
master_trade_log.jsonl every closed live trade (contract 4.20.11)

Writers never raise (contract 5.3: logging must not crash the engine); a failed write leaves
one event instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from src.core.events import emit, utc_iso
from src.core.jsonio import append_jsonl, tail_jsonl
from src.core.paths import Paths

TRADE_LOG_SCHEMA_VERSION = 1
MASTER_DEDUP_TAIL = 64
MASTER_DEDUP_BYTES = 64_000


class _Line(BaseModel):
    schema_version: int = TRADE_LOG_SCHEMA_VERSION
    ts: str = ""  # engine-clock time (simulated time in sim mode), ISO-8601 UTC
    logged_at: str = Field(default_factory=lambda: utc_iso(time.time()))


class OrderLine(_Line):
    event: str
    client_order_id: str = ""
    broker_order_id: str | None = None
    symbol: str = ""
    side: str = ""
    intent: str = ""
    qty: float = 0.0
    filled_qty: float = 0.0
    price: float | None = None
    status: str = ""
    reason: str = ""


class BlockedLine(_Line):
    """One refused candidate; written when a (symbol, reason) starts, not again while it persists."""

    symbol: str
    side: str = ""
    score: float = 0.0
    reason: str
    detail: str = ""
    price: float | None = None
    threshold: float | None = None  # the entry threshold the score was above
    numbers: dict[str, Any] = Field(default_factory=dict)  # the figures behind the decision
    via: str = "entry"  # entry | displacement
    cycle: int = 0


class AttributionLine(_Line):
    symbol: str
    side: str
    trade_id: str
    client_order_id: str = ""
    score: float
    components: dict[str, float] = Field(default_factory=dict)
    signals: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    clusters: int = 0
    qty: float = 0.0
    entry_price: float | None = None
    via: Literal["entry", "displacement", "adopted"] = "entry"


class ExitLine(_Line):
    symbol: str
    side: str
    trade_id: str
    reason: str
    detail: str = ""
    entry_price: float
    exit_price: float
    qty: float
    pnl: float
    pnl_pct: float
    time_in_trade_minutes: float
    partial: bool = False
    client_order_id: str = ""


class DisplacementLine(_Line):
    half: Literal["close", "open"]
    symbol: str
    score: float
    counterpart_symbol: str
    counterpart_score: float
    margin: float
    reasoning: str
    outcome: str = ""


class MasterTradeLine(_Line):
    trade_id: str
    symbol: str
    side: Literal["long", "short"]
    is_live: bool = True
    is_shadow: bool = False
    entry_ts: str
    exit_ts: str
    entry_price: float
    exit_price: float
    size: float
    realized_pnl_usd: float
    signals: list[str] = Field(default_factory=list)
    feature_snapshot: dict[str, Any] = Field(default_factory=dict)
    regime_snapshot: dict[str, Any] = Field(default_factory=dict)
    exit_reason: str
    source: Literal["live", "shadow"] = "live"


def _write(paths: Paths, path_name: str, line: BaseModel) -> bool:
    try:
        append_jsonl(getattr(paths, path_name), line.model_dump(mode="json"))
        return True
    except Exception as exc:  # noqa: BLE001 - contract 5.3
        emit("engine", "trade_log_write_failed", "error", paths=paths, log=path_name, error=repr(exc))
        return False


def log_order(paths: Paths, line: OrderLine) -> bool:
    return _write(paths, "orders_log", line)


def log_blocked(paths: Paths, line: BlockedLine) -> bool:
    return _write(paths, "blocked_trades_log", line)


def log_attribution(paths: Paths, line: AttributionLine) -> bool:
    return _write(paths, "attribution_log", line)


def log_exit(paths: Paths, line: ExitLine) -> bool:
    """Append once per exit fill: a restart replaying the same fill must not add a second line."""
    if line.client_order_id and _seen(
        paths.exits_log,
        lambda r: (
            r.get("client_order_id") == line.client_order_id
            and r.get("qty") == line.qty
            and r.get("partial") == line.partial
        ),
    ):
        return False
    return _write(paths, "exits_log", line)


def _seen(path: Path, match: Callable[[dict[str, Any]], bool]) -> bool:
    try:
        recent = tail_jsonl(path, MASTER_DEDUP_TAIL, max_bytes=MASTER_DEDUP_BYTES)
    except Exception:  # noqa: BLE001 - dedupe is best-effort; the append still happens
        return False
    return any(match(r) for r in recent)


def log_displacement(paths: Paths, line: DisplacementLine) -> bool:
    return _write(paths, "displacement_log", line)


def log_master_trade(paths: Paths, line: MasterTradeLine) -> bool:
    """Append once per trade_id: a restart replaying the same exit fill must not add a second line."""
    if _seen(paths.master_trade_log, lambda r: r.get("trade_id") == line.trade_id and r.get("source") == "live"):
        return False
    return _write(paths, "master_trade_log", line)
