"""Strategy config: the shipped file is valid; a bad value fails with the field named."""

from __future__ import annotations

import json

import pytest

from src.core.errors import ConfigError
from src.engine.config import DEFAULT_CONFIG_PATH, StrategyV1Config, load_strategy_config


def test_shipped_config_is_valid_and_matches_v1_defaults() -> None:
    cfg = load_strategy_config(DEFAULT_CONFIG_PATH)
    assert cfg.entry.threshold == 2.7 and cfg.risk.max_positions == 16
    assert cfg.exits.trailing_stop_pct == 0.015 and cfg.exits.time_exit_minutes == 150
    assert cfg.displacement.min_score_margin == 0.75


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"risk": {"max_positions": 0}}, "risk.max_positions"),
        ({"weights": {"flow": "lots"}}, "weights.flow"),
        ({"exits": {"stop_los_pct": 0.01}}, "exits.stop_los_pct"),
        ({"freshness": {"full_until_s": 500, "zero_at_s": 100}}, "freshness"),
    ],
)
def test_bad_value_names_the_field(tmp_path, patch, field) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps(patch))
    with pytest.raises(ConfigError) as err:
        load_strategy_config(p)
    assert field in str(err.value)


def test_not_json(tmp_path) -> None:
    p = tmp_path / "s.json"
    p.write_text("{nope")
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_strategy_config(p)


def test_partial_file_keeps_defaults(tmp_path) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"entry": {"threshold": 3.1, "symbol_thresholds": {"TSLA": 4.0}}}))
    cfg = load_strategy_config(p)
    assert cfg.threshold_for("TSLA") == 4.0 and cfg.threshold_for("AAPL") == 3.1
    assert cfg.sizing == StrategyV1Config().sizing
