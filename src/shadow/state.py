"""Shadow positions (`state/shadow_v2_positions.json`) and their crash-safe persistence.

Write order per cycle: each decision is first appended to `logs/shadow_trades.jsonl` (the
journal, carrying a monotonic `seq`), then the exit attribution and master-trade lines the
exits owe, and last the state, saved atomically with `last_seq`. A kill -9 anywhere leaves
a state file that loads (atomic replace) and at most lags the journal; `recover_from_journal`
rolls the missing decisions forward and writes any exit lines they still owe (de-duplicated
by trade_id), so the state always ends up matching the logged decisions. `apply_decision` is the single
transition used both live and in recovery, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from src.core.events import emit
from src.core.jsonio import append_jsonl, iter_jsonl, tail_jsonl
from src.core.paths import Paths
from src.core.state import load_state, save_state
from src.exit.exit_attribution import append_exit_attribution, parse_ts

SHADOW_SCHEMA_VERSION = 1
STATE_CHANGING = ("entry", "exit", "replacement")


class ShadowPosition(BaseModel):
    model_config = ConfigDict(extra="allow")

    trade_id: str = ""
    symbol: str = ""
    side: str = "long"
    qty: float = 0.0
    entry_price: float = 0.0  # the simulated fill (quote + slippage)
    entry_quote: float | None = None
    entry_ts: str = ""
    entry_seq: int = 0
    entry_v2_score: float | None = None
    entry_v1_score: float | None = None
    entry_regime: str | None = None
    entry_regime_confidence: float | None = None
    entry_sector: str | None = None
    entry_vol_pct: float | None = None
    entry_snapshot: dict[str, Any] = Field(default_factory=dict)  # exit-score snapshot at entry
    entry_components: dict[str, Any] = Field(default_factory=dict)
    entry_uw_adjustments: dict[str, Any] = Field(default_factory=dict)
    signals: list[str] = Field(default_factory=list)
    water_mark: float | None = None  # best price since entry (high for long, low for short)
    last_price: float | None = None
    last_v2_score: float | None = None
    last_exit_score: float | None = None


class ShadowState(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = SHADOW_SCHEMA_VERSION
    updated_at: str | None = None
    last_seq: int = 0
    cycles: int = 0
    positions: dict[str, ShadowPosition] = Field(default_factory=dict)
    cooldown_until: dict[str, str] = Field(default_factory=dict)  # symbol -> ISO UTC
    # symbol -> reason refused last cycle: a refusal is journaled when it starts or changes,
    # not once a minute for as long as the book stays full
    last_refusals: dict[str, str] = Field(default_factory=dict)
    realized_pnl_usd: float = 0.0
    closed_trades: int = 0


def load_shadow_state(paths: Paths) -> ShadowState:
    return load_state(paths.shadow_positions, ShadowState, subsystem="shadow", paths=paths)


def save_shadow_state(paths: Paths, state: ShadowState) -> None:
    save_state(paths.shadow_positions, state)


def apply_decision(state: ShadowState, row: Mapping[str, Any], cooldown_minutes: float = 15.0) -> bool:
    """Apply one journal row to `state` in place; True if it changed positions."""
    seq = int(row.get("seq") or 0)
    state.last_seq = max(state.last_seq, seq)
    action = row.get("action")
    sym = str(row.get("symbol") or "").upper()
    if action == "entry":
        pos = row.get("position")
        if not isinstance(pos, Mapping) or not sym:
            return False
        state.positions[sym] = ShadowPosition.model_validate(dict(pos))
        return True
    if action in ("exit", "replacement"):
        held = state.positions.get(sym)
        if held is None or (row.get("trade_id") and held.trade_id != row.get("trade_id")):
            return False
        del state.positions[sym]
        pnl = row.get("pnl")
        if isinstance(pnl, (int, float)) and not isinstance(pnl, bool):
            state.realized_pnl_usd = round(state.realized_pnl_usd + float(pnl), 6)
        state.closed_trades += 1
        ts = parse_ts(row.get("ts")) or datetime.now(UTC)
        state.cooldown_until[sym] = (ts + timedelta(minutes=cooldown_minutes)).isoformat(timespec="seconds")
        return True
    return False


def prune_cooldowns(state: ShadowState, now: datetime) -> None:
    for sym, until in list(state.cooldown_until.items()):
        ts = parse_ts(until)
        if ts is None or ts <= now:
            del state.cooldown_until[sym]


def write_exit_records(paths: Paths, rows: Iterable[Mapping[str, Any]], *, dedupe: bool = False) -> None:
    """The exit attribution and master-trade lines a journal exit row owes (once per trade_id)."""
    rows = [r for r in rows if r.get("action") in ("exit", "replacement")]
    if not rows:
        return
    seen_attr: set[str] = set()
    seen_master: set[str] = set()
    if dedupe:
        seen_attr = {str(r.get("trade_id")) for r in tail_jsonl(paths.exit_attribution_log, 2000, 4_000_000)}
        seen_master = {str(r.get("trade_id")) for r in tail_jsonl(paths.master_trade_log, 2000, 4_000_000)}
    for r in rows:
        tid = str(r.get("trade_id"))
        attribution = r.get("attribution")
        if isinstance(attribution, Mapping) and tid not in seen_attr:
            append_exit_attribution(paths, attribution)
        master = r.get("master_trade")
        if isinstance(master, Mapping) and tid not in seen_master:
            append_jsonl(paths.master_trade_log, dict(master))


def recover_from_journal(paths: Paths, state: ShadowState, cooldown_minutes: float = 15.0) -> int:
    """Roll forward decisions journaled after the last save; returns how many were applied."""
    pending = _journal_after(paths, state.last_seq)
    if not pending:
        return 0
    pending.sort(key=lambda r: int(r.get("seq") or 0))
    for r in pending:
        apply_decision(state, r, cooldown_minutes)
    save_shadow_state(paths, state)
    write_exit_records(paths, pending, dedupe=True)
    emit("shadow", "shadow_state_recovered", "warning", paths=paths, decisions=len(pending), last_seq=state.last_seq)
    return len(pending)


def _journal_after(paths: Paths, last_seq: int) -> list[dict[str, Any]]:
    """Journal rows with seq > last_seq, reading only the tail when the tail reaches back far enough."""
    tail = tail_jsonl(paths.shadow_trades_log, 5000, 8_000_000)
    seqs = [int(r.get("seq") or 0) for r in tail]
    if not tail or max(seqs) <= last_seq:
        return []
    if min(seqs) <= last_seq + 1:
        return [r for r in tail if int(r.get("seq") or 0) > last_seq]
    return [r for r in iter_jsonl(paths.shadow_trades_log) if int(r.get("seq") or 0) > last_seq]


def open_positions_from_journal(paths: Paths) -> dict[str, str]:
    """symbol -> trade_id of the positions the journal says are open (for checks and tests)."""
    replay = ShadowState()
    for r in iter_jsonl(paths.shadow_trades_log):
        apply_decision(replay, r)
    return {s: p.trade_id for s, p in replay.positions.items()}
