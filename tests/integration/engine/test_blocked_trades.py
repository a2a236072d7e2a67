"""Blocked trades end to end: every refused candidate has a line, a standing refusal only one."""

from __future__ import annotations

from src.core.jsonio import read_jsonl
from src.core.settings import load_settings
from src.engine.config import StrategyV1Config
from src.engine.cycle import Engine
from src.engine.pipeline import build_steps
from src.engine.scoring import score_cache

from .sim_harness import strong, write_cache


def _engine(home, sim, cfg: StrategyV1Config) -> Engine:
    settings = load_settings(home=home.root, mode="sim", alpaca_base_url=sim.url, shadow_enabled=False)
    startup, steps = build_steps(settings, home, sim.clock, strategy=cfg)
    eng = Engine(settings, home, sim.clock, steps, startup)
    eng.startup()
    return eng


def _cycle(eng: Engine, home, sim, recs_at) -> None:
    now = sim.clock.now().timestamp()
    write_cache(home, recs_at(now), now)
    res = eng.run_once()
    assert not res.errors, res.errors
    sim.clock.advance(60)


def _blocked(home, symbol: str | None = None) -> list[dict]:
    rows, skipped = read_jsonl(home.blocked_trades_log)
    assert skipped == 0
    return [r for r in rows if symbol is None or r["symbol"] == symbol]


def _entered(home) -> set[str]:
    rows, _ = read_jsonl(home.attribution_log)
    return {r["symbol"] for r in rows}


def test_a_refusal_standing_for_five_cycles_is_one_line_and_a_return_is_another(home, sim) -> None:
    cfg = StrategyV1Config.model_validate({"risk": {"max_positions": 2}, "displacement": {"enabled": False}})
    eng = _engine(home, sim, cfg)
    syms = ["AAA", "BBB", "CCC"]  # equal scores: the first two by name fill the book
    for _ in range(5):
        _cycle(eng, home, sim, lambda now: {s: strong(now=now) for s in syms})
    assert _entered(home) == {"AAA", "BBB"}
    lines = _blocked(home, "CCC")
    assert len(lines) == 1, lines
    ln = lines[0]
    assert ln["reason"] == "max_positions"
    assert ln["score"] >= ln["threshold"] == cfg.entry.threshold
    assert ln["numbers"] == {"positions": 2, "max_positions": 2}
    assert ln["side"] == "long" and ln["schema_version"] == 1
    # CCC drops out of the cache for one cycle (no refusal), then comes back: written again
    _cycle(eng, home, sim, lambda now: {s: strong(now=now) for s in syms[:2]})
    assert len(_blocked(home, "CCC")) == 1
    for _ in range(3):
        _cycle(eng, home, sim, lambda now: {s: strong(now=now) for s in syms})
    assert [ln["reason"] for ln in _blocked(home, "CCC")] == ["max_positions", "max_positions"]
    assert _blocked(home) == _blocked(home, "CCC")  # the held symbols are never "refused"


def test_a_changed_reason_writes_a_second_line(home, sim) -> None:
    # displacement on: young positions cannot be displaced, then (after min hold) the margin is too small
    cfg = StrategyV1Config.model_validate({"risk": {"max_positions": 2}, "displacement": {"min_hold_minutes": 5}})
    eng = _engine(home, sim, cfg)
    syms = ["AAA", "BBB", "CCC"]
    for _ in range(12):
        _cycle(eng, home, sim, lambda now: {s: strong(now=now) for s in syms})
    lines = _blocked(home, "CCC")
    assert [ln["reason"] for ln in lines] == [
        "displacement_declined_no_position_old_enough",
        "displacement_declined_margin_too_small",
    ]
    young, small = lines
    assert young["via"] == small["via"] == "displacement"
    assert young["numbers"]["min_hold_minutes"] == 5
    assert young["numbers"]["oldest_held_minutes"] < 5
    assert small["numbers"]["margin"] < small["numbers"]["min_score_margin"] == cfg.displacement.min_score_margin
    assert small["numbers"]["weakest_symbol"] in {"AAA", "BBB"}
    assert small["cycle"] > young["cycle"]
    rows, _ = read_jsonl(home.displacement_log)
    assert rows == []  # the decisions did not change: nothing was swapped


def test_every_candidate_above_threshold_not_entered_has_a_line(home, sim) -> None:
    cfg = StrategyV1Config.model_validate({"risk": {"max_positions": 6}, "entry": {"max_new_entries_per_cycle": 4}})
    eng = _engine(home, sim, cfg)
    # 30 strong longs (more than the 24 checked per cycle) and one weak symbol below the threshold
    strong_syms = [f"S{i:02d}" for i in range(30)]

    def recs(now: float) -> dict[str, dict]:
        out = {s: strong(now=now, calls=1_500_000.0 + 10_000.0 * i) for i, s in enumerate(strong_syms)}
        weak = strong(now=now, calls=120_000.0, dp=0.0)
        weak["flow"].update(sweep_count=0, block_count=0, repeated_hits=0, sentiment="NEUTRAL")
        out["WEAK"] = weak
        return out

    for cycle in range(3):  # 4 entries, then 2 to the cap, then all at the cap
        _cycle(eng, home, sim, recs)
        scores = score_cache(recs(0.0), {}, cfg, 0.0)
        above = {s for s, r in scores.items() if r.score >= cfg.threshold_for(s)}
        assert "WEAK" not in above and above >= set(strong_syms)
        entered = _entered(home)
        latest: dict[str, dict] = {}
        for ln in _blocked(home):
            latest[ln["symbol"]] = ln
        missing = above - entered - set(latest)
        assert not missing, f"cycle {cycle}: refused without a line: {sorted(missing)}"
    assert len(_entered(home)) == 6
    reasons = {ln["reason"] for ln in _blocked(home)}
    # the per-cycle entry limit stops the check before the 24-candidate limit could, so every
    # unchecked candidate carries that limit as its reason
    assert {"max_new_entries_per_cycle", "max_positions", "displacement_declined_no_position_old_enough"} <= reasons
    for ln in _blocked(home):
        assert ln["score"] >= ln["threshold"] and ln["reason"]
