"""Build the broker for the configured mode, and refuse every way of reaching real money by accident.

sim   -> alpaca-py pointed at the local Alpaca simulator (ALPACA_BASE_URL, default :8766)
paper -> alpaca-py with paper=True (optionally a paper-compatible override)
live  -> the live endpoint, only with STOCKBOT_LIVE_CONFIRM set (Settings checks it; checked
         again here because this is the last door before real orders)
No mode but live may be configured with the live host.
"""

from __future__ import annotations

from urllib.parse import urlparse

from src.broker.alpaca import DEFAULT_TIMEOUT_S, AlpacaBroker
from src.core.errors import ConfigError
from src.core.settings import LIVE_CONFIRMATION, Mode, Settings

SIM_DEFAULT_URL = "http://127.0.0.1:8766"
LIVE_TRADING_HOST = "api.alpaca.markets"


def _is_live_host(url: str | None) -> bool:
    if not url:
        return False
    host = (urlparse(url).hostname or "").lower()
    return host == LIVE_TRADING_HOST


def _secret(v: object | None) -> str | None:
    return v.get_secret_value() if v is not None and hasattr(v, "get_secret_value") else None  # type: ignore[union-attr]


def broker_urls(settings: Settings) -> tuple[str | None, bool, str | None]:
    """(trading url_override, paper flag, data url_override) for the mode; raises ConfigError."""
    mode = settings.mode
    override = (settings.alpaca_base_url or "").rstrip("/") or None
    if mode is Mode.live:
        if settings.live_confirm != LIVE_CONFIRMATION:
            raise ConfigError(f"live mode refuses to start: set STOCKBOT_LIVE_CONFIRM={LIVE_CONFIRMATION}")
        if override and not _is_live_host(override):
            raise ConfigError("live mode uses Alpaca's live endpoint; unset ALPACA_BASE_URL")
        return None, False, None
    if _is_live_host(override):
        raise ConfigError(f"ALPACA_BASE_URL points at the live endpoint but STOCKBOT_MODE={mode.value}")
    if mode is Mode.sim:
        url = override or SIM_DEFAULT_URL
        return url, True, url
    return override, True, None  # paper: paper endpoint unless overridden; real market data


def build_broker(settings: Settings, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> AlpacaBroker:
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

    trading_url, paper, data_url = broker_urls(settings)
    key = _secret(settings.alpaca_api_key)
    secret = _secret(settings.alpaca_secret_key)
    if settings.mode is Mode.sim:
        key, secret = key or "sim", secret or "sim"
    elif not (key and secret):
        raise ConfigError(f"STOCKBOT_MODE={settings.mode.value} needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
    trading = TradingClient(key, secret, paper=paper, url_override=trading_url)
    if settings.mode is not Mode.live and _is_live_host(str(getattr(trading._base_url, "value", trading._base_url))):
        raise ConfigError("refusing to build a non-live broker on the live endpoint")  # belt and braces
    data = StockHistoricalDataClient(key, secret, url_override=data_url)
    return AlpacaBroker(trading, data, timeout_s=timeout_s)
