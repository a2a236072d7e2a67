"""One settings model for every process: environment variables and secret files only.

Secrets are `SecretStr` so a stray `repr()` or log line cannot leak them.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.core.errors import ConfigError

LIVE_CONFIRMATION = "I_UNDERSTAND_THIS_TRADES_REAL_MONEY"


class Mode(StrEnum):
    sim = "sim"
    paper = "paper"
    live = "live"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STOCKBOT_",
        secrets_dir=os.environ.get("STOCKBOT_SECRETS_DIR") or None,
        extra="ignore",
        populate_by_name=True,
    )

    home: Path = Field(default=Path("var"), description="runtime root for state/, data/, logs/ ...")
    mode: Mode = Mode.sim
    live_confirm: str = Field(default="", description=f"must equal {LIVE_CONFIRMATION!r} in live mode")

    cycle_interval_s: float = Field(default=60.0, gt=0)
    heartbeat_stale_s: float = Field(default=180.0, gt=0)
    restart_backoff_initial_s: float = Field(default=1.0, gt=0)
    restart_backoff_max_s: float = Field(default=60.0, gt=0)
    restart_stable_s: float = Field(default=300.0, gt=0)
    crash_loop_restarts: int = Field(default=5, ge=1)
    crash_loop_window_s: float = Field(default=300.0, gt=0)
    kill_timeout_s: float = Field(default=10.0, gt=0)
    watchdog_grace_s: float = Field(default=30.0, ge=0)
    events_max_bytes: int = Field(default=20_000_000, ge=10_000)
    events_backups: int = Field(default=5, ge=1)

    # job plane (src/jobs): retries, timeouts, schedule tick, worker heartbeat, test isolation
    job_retries: int = Field(default=2, ge=0, le=10, description="retries of a failed RQ job before job_failed")
    job_retry_interval_s: int = Field(default=60, ge=0, description="first retry delay; doubles per retry")
    job_timeout_s: int = Field(default=1800, ge=1, description="RQ job timeout")
    schedule_tick_s: int = Field(default=60, ge=1, description="how often rq cron checks the day's plan")
    worker_ttl_s: int = Field(default=60, ge=15, description="RQ worker heartbeat TTL")
    jobs_namespace: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$", description="prefix of queue names and job ids")
    job_overrides: dict[str, str] = Field(default_factory=dict, description="job name -> 'module:function' body (dev/test)")

    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias=_env("REDIS_URL", "STOCKBOT_REDIS_URL"))
    composite_version: str = Field(default="v1", validation_alias=_env("COMPOSITE_VERSION", "STOCKBOT_COMPOSITE_VERSION"))

    uw_api_key: SecretStr | None = Field(default=None, validation_alias=_env("UW_API_KEY", "STOCKBOT_UW_API_KEY"))
    uw_base_url: str = Field(default="https://api.unusualwhales.com", validation_alias=_env("UW_BASE_URL", "STOCKBOT_UW_BASE_URL"))
    # UW data plane (contract 4.5, 4.8, 4.9): quota, timeouts, daemon pacing
    uw_per_minute_limit: int = Field(default=500, ge=1, description="UW requests per minute for the key")
    uw_daily_budget: int = Field(default=80_000, ge=1, description="UW requests per day for the key")
    uw_daemon_reserve: int = Field(default=20_000, ge=0, description="budget only the daemon may use")
    uw_daemon_budget_share: float = Field(default=0.85, gt=0, le=1, description="budget share the daemon plans")
    uw_minute_headroom: float = Field(default=0.9, gt=0, le=1, description="per-minute share the daemon plans")
    uw_connect_timeout_s: float = Field(default=5.0, gt=0)
    uw_read_timeout_s: float = Field(default=20.0, gt=0)
    uw_max_retries: int = Field(default=2, ge=0, le=10)
    uw_backoff_base_s: float = Field(default=0.5, ge=0)
    uw_max_wait_s: float = Field(default=10.0, ge=0, description="longest a call waits for a rate-limit slot")
    uw_cycle_s: float = Field(default=15.0, gt=0, description="daemon cache write interval (clock seconds)")
    uw_offhours_slowdown: float = Field(default=3.0, ge=1, description="poll interval factor outside market hours")
    uw_offhours_max_rpm: float = Field(default=30.0, gt=0, description="daemon request rate cap outside market hours")
    uw_default_core: str = Field(
        default="SPY,QQQ,IWM,AAPL,MSFT,NVDA,AMZN,META,GOOGL,TSLA,AMD,AVGO,NFLX,JPM,BAC,XOM,COIN,PLTR,SMCI,MU",
        description="symbols polled when both universe files are empty or missing",
    )
    alpaca_api_key: SecretStr | None = Field(default=None, validation_alias=_env("ALPACA_API_KEY", "STOCKBOT_ALPACA_API_KEY"))
    alpaca_secret_key: SecretStr | None = Field(
        default=None, validation_alias=_env("ALPACA_SECRET_KEY", "STOCKBOT_ALPACA_SECRET_KEY")
    )
    alpaca_base_url: str | None = Field(default=None, validation_alias=_env("ALPACA_BASE_URL", "STOCKBOT_ALPACA_BASE_URL"))
    sim_host: str = "127.0.0.1"
    sim_port: int = Field(default=8765, ge=1, le=65535)
    shadow_enabled: bool = Field(default=True, description="run the v2 shadow trader step (never places orders)")
    # droplet runner + state sync (contract 4.7)
    sync_transport: str = Field(default="local", pattern=r"^(local|ssh)$", description="droplet transport: local|ssh")
    sync_host: str = Field(default="", description="droplet host name or IP for the ssh transport")
    sync_user: str = Field(default="root", description="droplet ssh user")
    sync_ssh_key: str = Field(default="", description="path of the ssh private key file (never its content)")
    sync_remote_repo: str = Field(default="/opt/stock-bot", description="checkout path on the droplet")
    sync_remote_home: str = Field(default="/opt/stock-bot/var", description="STOCKBOT_HOME on the droplet")
    sync_local_root: Path | None = Field(default=None, description="local transport: the droplet's runtime root")
    sync_timeout_s: float = Field(default=1800.0, gt=0, description="longest one droplet step may take")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.restart_backoff_max_s < self.restart_backoff_initial_s:
            raise ValueError("STOCKBOT_RESTART_BACKOFF_MAX_S must be >= STOCKBOT_RESTART_BACKOFF_INITIAL_S")
        if self.composite_version not in ("v1", "v2"):
            raise ValueError("COMPOSITE_VERSION must be one of: v1, v2")
        if self.mode is Mode.live and self.live_confirm != LIVE_CONFIRMATION:
            raise ValueError(
                f"STOCKBOT_MODE=live refuses to start: set STOCKBOT_LIVE_CONFIRM={LIVE_CONFIRMATION}"
            )
        if self.mode in (Mode.paper, Mode.live) and not (self.alpaca_api_key and self.alpaca_secret_key):
            raise ValueError(f"STOCKBOT_MODE={self.mode.value} needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
        return self

    @property
    def sim_base_url(self) -> str:
        return f"http://{self.sim_host}:{self.sim_port}"

    def secret_values(self) -> list[str]:
        """Every configured secret, for redaction."""
        out = []
        for s in (self.uw_api_key, self.alpaca_api_key, self.alpaca_secret_key):
            if s is not None and s.get_secret_value():
                out.append(s.get_secret_value())
        return out


def _describe(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e.get("loc", ()))
        name = f"STOCKBOT_{loc.upper()}" if loc else "settings"
        msg = e.get("msg", "invalid")
        ctx = e.get("ctx") or {}
        expected = ctx.get("expected")
        lines.append(f"{name}: {msg}" + (f" (accepted: {expected})" if expected else ""))
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; raise ConfigError naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None
