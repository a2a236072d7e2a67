from __future__ import annotations

import pytest

from src.core.errors import ConfigError
from src.core.settings import LIVE_CONFIRMATION, Mode, load_settings


def test_defaults_are_sim_without_keys(monkeypatch):
    for k in ("STOCKBOT_MODE", "UW_API_KEY", "ALPACA_API_KEY", "ALPACA_SECRET_KEY"):
        monkeypatch.delenv(k, raising=False)
    s = load_settings()
    assert s.mode is Mode.sim
    assert s.uw_api_key is None


def test_bad_mode_names_setting_and_accepted_values(monkeypatch):
    monkeypatch.setenv("STOCKBOT_MODE", "yolo")
    with pytest.raises(ConfigError) as err:
        load_settings()
    msg = str(err.value)
    assert "STOCKBOT_MODE" in msg and "'sim', 'paper' or 'live'" in msg


def test_bad_number_names_setting(monkeypatch):
    monkeypatch.setenv("STOCKBOT_CYCLE_INTERVAL_S", "-3")
    with pytest.raises(ConfigError, match="STOCKBOT_CYCLE_INTERVAL_S"):
        load_settings()


def test_live_refuses_without_confirmation(monkeypatch):
    monkeypatch.setenv("STOCKBOT_MODE", "live")
    monkeypatch.setenv("ALPACA_API_KEY", "k" * 20)
    monkeypatch.setenv("ALPACA_SECRET_KEY", "s" * 20)
    with pytest.raises(ConfigError, match="STOCKBOT_LIVE_CONFIRM"):
        load_settings()
    monkeypatch.setenv("STOCKBOT_LIVE_CONFIRM", LIVE_CONFIRMATION)
    assert load_settings().mode is Mode.live


def test_secrets_never_in_repr(monkeypatch):
    monkeypatch.setenv("UW_API_KEY", "uw-super-secret-123")
    s = load_settings()
    assert "uw-super-secret-123" not in repr(s)
    assert s.uw_api_key is not None and s.uw_api_key.get_secret_value() == "uw-super-secret-123"


def test_secret_file(monkeypatch, tmp_path):
    (tmp_path / "uw_api_key").write_text("from-a-file")
    monkeypatch.delenv("UW_API_KEY", raising=False)
    from src.core.settings import Settings

    s = Settings(_secrets_dir=tmp_path)  # type: ignore[call-arg]
    assert s.uw_api_key is not None and s.uw_api_key.get_secret_value() == "from-a-file"
