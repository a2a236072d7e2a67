"""File schemas the engine owns: the heartbeat state and the run.jsonl line."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RUN_LINE_SCHEMA_VERSION = 1


class Heartbeat(BaseModel):
    """state/bot_heartbeat.json: rewritten atomically at the end of every cycle."""

    model_config = ConfigDict(extra="allow")

    ts: str = ""  # wall-clock UTC ISO time of the write (the supervisor's watchdog reads ts_epoch)
    ts_epoch: float = 0.0
    sim_time: str | None = None  # the engine clock's time when it is simulated
    pid: int | None = None
    cycle: int = 0
    engine_status: str = "unknown"
    last_cycle_duration_ms: float = 0.0
    mode: str = "sim"
    running: bool = False
    market_open: bool | None = None
    errors_last_cycle: list[str] = Field(default_factory=list)


class RunLine(BaseModel):
    """One line of logs/run.jsonl per cycle (contract 2.2)."""

    schema_version: int = RUN_LINE_SCHEMA_VERSION
    ts: str
    sim_time: str | None = None
    cycle: int
    msg: str = "cycle"
    engine_status: str
    errors_this_cycle: list[str] = Field(default_factory=list)
    duration_ms: float
    clusters: int = 0
    market_open: bool | None = None
    cache_events: list[str] = Field(default_factory=list)
    counters: dict[str, Any] = Field(default_factory=dict)


class SupervisorState(BaseModel):
    """state/supervisor_state.json: written by the supervisor, read by scripts/status.py."""

    pid: int | None = None
    started_at: float | None = None
    updated_at: float | None = None
    engine_pid: int | None = None
    engine_started_at: float | None = None
    restarts: int = 0
    last_exit: str | None = None
    backoff_s: float = 0.0
    stopping: bool = False
