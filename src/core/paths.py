"""Every runtime path of the contract, relative to one root (STOCKBOT_HOME).

No module builds `state/...` or `logs/...` by hand; they ask a `Paths`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIRS = ("state", "data", "logs", "reports", "telemetry", "analysis_packs", "droplet_sync")


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def from_env(cls) -> Paths:
        home = Path(os.environ.get("STOCKBOT_HOME") or "var")
        if not home.is_absolute():
            home = (Path.cwd() / home).resolve()
        return cls(home)

    def ensure(self) -> Paths:
        for d in RUNTIME_DIRS:
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.uw_cache_dir.mkdir(parents=True, exist_ok=True)
        return self

    # folders
    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    # contract 4.1: the ONLY valid UW cache path
    @property
    def uw_flow_cache(self) -> Path:
        return self.data / "uw_flow_cache.json"

    # engine (contract 2.2)
    @property
    def heartbeat(self) -> Path:
        return self.state / "bot_heartbeat.json"

    @property
    def run_log(self) -> Path:
        return self.logs / "run.jsonl"

    @property
    def system_events(self) -> Path:
        return self.logs / "system_events.jsonl"

    @property
    def supervisor_state(self) -> Path:
        return self.state / "supervisor_state.json"

    @property
    def positions(self) -> Path:
        return self.state / "positions.json"

    @property
    def engine_state(self) -> Path:
        return self.state / "engine_state.json"

    # v1 trading logs
    @property
    def orders_log(self) -> Path:
        return self.logs / "orders.jsonl"

    @property
    def blocked_trades_log(self) -> Path:
        return self.logs / "blocked_trades.jsonl"

    @property
    def attribution_log(self) -> Path:
        return self.logs / "attribution.jsonl"

    @property
    def exits_log(self) -> Path:
        return self.logs / "exits.jsonl"

    @property
    def master_trade_log(self) -> Path:
        return self.logs / "master_trade_log.jsonl"

    @property
    def displacement_log(self) -> Path:
        return self.logs / "displacement.jsonl"

    # UW data plane (contract 4.5, 4.9)
    @property
    def uw_usage_state(self) -> Path:
        return self.state / "uw_usage_state.json"

    @property
    def uw_usage_lock(self) -> Path:
        return self.state / "uw_usage_state.lock"

    @property
    def uw_cache_dir(self) -> Path:
        return self.state / "uw_cache"

    @property
    def uw_daemon_lock(self) -> Path:
        return self.state / "uw_flow_daemon.lock"

    # intel v2 (contract 4.6, 4.10-4.16)
    @property
    def daily_universe(self) -> Path:
        return self.state / "daily_universe.json"

    @property
    def core_universe(self) -> Path:
        return self.state / "core_universe.json"

    @property
    def daily_universe_v2(self) -> Path:
        return self.state / "daily_universe_v2.json"

    @property
    def symbol_risk_features(self) -> Path:
        return self.state / "symbol_risk_features.json"

    @property
    def premarket_intel(self) -> Path:
        return self.state / "premarket_intel.json"

    @property
    def postmarket_intel(self) -> Path:
        return self.state / "postmarket_intel.json"

    @property
    def regime_state(self) -> Path:
        return self.state / "regime_state.json"

    @property
    def uw_attribution_log(self) -> Path:
        return self.logs / "uw_attribution.jsonl"

    @property
    def uw_intel_pnl_summary(self) -> Path:
        return self.state / "uw_intel_pnl_summary.json"

    @property
    def intel_health_state(self) -> Path:
        return self.state / "intel_health_state.json"

    @property
    def uw_daemon_health_state(self) -> Path:
        return self.state / "uw_daemon_health_state.json"

    # shadow + exit v2 (contract 4.17, 4.18)
    @property
    def shadow_positions(self) -> Path:
        return self.state / "shadow_v2_positions.json"

    @property
    def shadow_trades_log(self) -> Path:
        return self.logs / "shadow_trades.jsonl"

    @property
    def shadow_log(self) -> Path:
        return self.logs / "shadow.jsonl"

    @property
    def exit_attribution_log(self) -> Path:
        return self.logs / "exit_attribution.jsonl"

    @property
    def premarket_exit_intel(self) -> Path:
        return self.state / "premarket_exit_intel.json"

    @property
    def postmarket_exit_intel(self) -> Path:
        return self.state / "postmarket_exit_intel.json"

    @property
    def exit_intel_pnl_summary(self) -> Path:
        return self.state / "exit_intel_pnl_summary.json"

    # market simulator (sim mode only): the fake broker's books, outside state/ on purpose
    @property
    def sim_alpaca_ledger(self) -> Path:
        return self.root / "sim" / "alpaca_ledger.json"

    # dated outputs
    def report(self, name: str, day: str) -> Path:
        """reports/<NAME>_<YYYY-MM-DD>.md, e.g. report('UW_INTEL_PNL', '2026-11-27')."""
        return self.reports / f"{name}_{day}.md"

    def telemetry_day(self, day: str) -> Path:
        return self.root / "telemetry" / day

    def analysis_pack(self, day: str) -> Path:
        return self.root / "analysis_packs" / day

    def droplet_sync_day(self, day: str) -> Path:
        return self.root / "droplet_sync" / day
