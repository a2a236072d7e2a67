"""Mode -> endpoint: sim and paper never reach the live endpoint; live needs its confirmation."""

from __future__ import annotations

import pytest

from src.broker.factory import LIVE_TRADING_HOST, SIM_DEFAULT_URL, broker_urls, build_broker
from src.core.errors import ConfigError
from src.core.settings import LIVE_CONFIRMATION, Settings, load_settings

LIVE_URL = f"https://{LIVE_TRADING_HOST}"


def test_sim_uses_the_simulator_url(home) -> None:
    b = build_broker(load_settings(mode="sim", alpaca_base_url="http://127.0.0.1:9999"))
    assert b.trading_base_url == "http://127.0.0.1:9999"
    assert b.data_base_url == "http://127.0.0.1:9999"
    assert LIVE_TRADING_HOST not in b.trading_base_url.replace("paper-api.", "")


def test_sim_default_url(home) -> None:
    b = build_broker(load_settings(mode="sim"))
    assert b.trading_base_url == SIM_DEFAULT_URL == b.data_base_url


def test_paper_uses_paper_endpoint(home) -> None:
    b = build_broker(load_settings(mode="paper", alpaca_api_key="k" * 8, alpaca_secret_key="s" * 8))
    assert b.trading_base_url == "https://paper-api.alpaca.markets"
    assert b.data_base_url == "https://data.alpaca.markets"  # market data has no paper host


@pytest.mark.parametrize("mode", ["sim", "paper"])
def test_non_live_modes_refuse_the_live_host(home, mode) -> None:
    s = load_settings(mode=mode, alpaca_base_url=LIVE_URL + "/", alpaca_api_key="k" * 8, alpaca_secret_key="s" * 8)
    with pytest.raises(ConfigError, match="live endpoint"):
        build_broker(s)


def test_live_refuses_without_confirmation(home) -> None:
    with pytest.raises(ConfigError, match="STOCKBOT_LIVE_CONFIRM"):
        load_settings(mode="live", alpaca_api_key="k" * 8, alpaca_secret_key="s" * 8)
    # and the factory checks again even if a Settings object slipped through unvalidated
    unchecked = Settings.model_construct(**{**load_settings().__dict__, "mode": "live", "live_confirm": ""})
    unchecked.mode = type(load_settings().mode)("live")
    with pytest.raises(ConfigError, match="refuses"):
        broker_urls(unchecked)


def test_live_with_confirmation_targets_live(home) -> None:
    s = load_settings(mode="live", live_confirm=LIVE_CONFIRMATION, alpaca_api_key="k" * 8, alpaca_secret_key="s" * 8)
    b = build_broker(s)  # constructing makes no request
    assert b.trading_base_url == LIVE_URL
    with pytest.raises(ConfigError):
        build_broker(s.model_copy(update={"alpaca_base_url": "http://127.0.0.1:8766"}))
