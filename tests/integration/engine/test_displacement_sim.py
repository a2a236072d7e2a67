"""Displacement end to end: a full book of middling positions, then a much stronger candidate."""

from __future__ import annotations

from src.core.jsonio import read_jsonl
from src.core.settings import load_settings
from src.engine.config import StrategyV1Config
from src.engine.cycle import Engine
from src.engine.pipeline import build_steps
from src.engine.scoring import score_symbol

from .sim_harness import strong, write_cache

BOOK = [
    "AAPL",
    "MSFT",
    "NVDA",
    "AMZN",
    "GOOGL",
    "META",
    "TSLA",
    "AMD",
    "AVGO",
    "KO",
    "JPM",
    "BAC",
    "GS",
    "XOM",
    "CVX",
    "UNH",
]
NEWCOMER = "LLY"


def middling(now: float) -> dict:
    # flow 600k/100k: I = 0.714, size 0.7 -> 2.5 * 0.5 = 1.25; dark pool 1.5; 1 cluster -> +0.25 = 3.0
    return {
        "last_update": now,
        "flow": {"call_premium": 600_000.0, "put_premium": 100_000.0, "sweep_count": 3, "sentiment": "BULLISH"},
        "dark_pool": {"print_count": 3, "total_notional": 5e7},
    }


def test_displacement_swaps_weakest_for_stronger(home, sim) -> None:
    cfg = StrategyV1Config.model_validate(
        {
            "exits": {
                "stop_loss_pct": 0.5,
                "profit_target_pct": 5.0,
                "trailing_stop_pct": 0.9,
                "exit_on_flow_reversal": False,
            },
            "entry": {"max_new_entries_per_cycle": 16},
        }
    )
    assert score_symbol("X", middling(0), None, cfg, now=0).score == 3.0
    settings = load_settings(home=home.root, mode="sim", alpaca_base_url=sim.url, shadow_enabled=False)
    startup, steps = build_steps(settings, home, sim.clock, strategy=cfg)
    eng = Engine(settings, home, sim.clock, steps, startup)
    eng.startup()
    for minute in range(26):
        now = sim.clock.now().timestamp()
        recs = {s: middling(now) for s in BOOK}
        if minute >= 10:  # the newcomer shows up while the book is too young to displace
            recs[NEWCOMER] = strong(now=now)
        write_cache(home, recs, now)
        res = eng.run_once()
        assert not res.errors, res.errors
        sim.clock.advance(60)
    lines, _ = read_jsonl(home.displacement_log)
    assert [ln["half"] for ln in lines] == ["close", "open"]
    close, opened = lines
    assert close["symbol"] in BOOK and opened["symbol"] == NEWCOMER
    assert close["score"] == 3.0 and opened["score"] > close["score"] + 0.75
    assert close["outcome"] == "closed" and opened["outcome"] == "opened"
    assert "held" in close["reasoning"] and close["reasoning"] == opened["reasoning"]
    held_at = sim.clock.now()
    positions = sim.positions()
    assert NEWCOMER in positions and close["symbol"] not in positions and len(positions) == 16
    exits, _ = read_jsonl(home.exits_log)
    assert [e["reason"] for e in exits] == ["displacement"]
    attr, _ = read_jsonl(home.attribution_log)
    assert [a["via"] for a in attr if a["symbol"] == NEWCOMER] == ["displacement"]
    assert held_at  # the swap happened only after the 20-minute minimum hold
    first_open = min(a["ts"] for a in attr)
    assert close["ts"] >= first_open
