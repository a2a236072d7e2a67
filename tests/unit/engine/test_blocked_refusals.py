"""Refusal bookkeeping: why displacement declined an offer, and one line per (symbol, reason) streak."""

from __future__ import annotations

from datetime import UTC, datetime

from src.core.clock import FixedClock
from src.core.jsonio import read_jsonl
from src.core.settings import load_settings
from src.engine.config import StrategyV1Config
from src.engine.cycle import CycleContext
from src.engine.displacement import Held, Offer, explain_declines, plan_displacements
from src.engine.step_state import V1Cycle, V1Runtime, drop_refusal, flush_refusals, note_refusal

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CFG = StrategyV1Config()


def _ctx(home, cycle: int) -> CycleContext:
    return CycleContext(load_settings(home=home.root, mode="sim"), home, FixedClock(NOW), NOW, cycle)


def _refuse(cyc: V1Cycle, symbol: str, reason: str, cycle: int) -> None:
    note_refusal(cyc, symbol, reason, score=3.0)


def _lines(home) -> list[tuple[str, str, int]]:
    rows, _ = read_jsonl(home.blocked_trades_log)
    return [(r["symbol"], r["reason"], r["cycle"]) for r in rows]


def test_streaks_are_written_once_per_start_change_and_return(home) -> None:
    rt = V1Runtime(cfg=CFG, broker_factory=lambda: None)  # type: ignore[arg-type,return-value]
    plan = {
        1: {"A": "cooldown", "B": "max_positions"},
        2: {"A": "cooldown", "B": "max_positions"},
        3: {"A": "cooldown", "B": "total_notional_cap"},  # B's reason changes
        4: {"A": "cooldown"},  # B clears
        5: {"A": "cooldown", "B": "total_notional_cap"},  # and returns
        6: {"A": "cooldown", "B": "total_notional_cap"},
    }
    for cycle, refusals in plan.items():
        cyc = V1Cycle()
        for sym, reason in refusals.items():
            _refuse(cyc, sym, reason, cycle)
        flush_refusals(_ctx(home, cycle), rt, cyc)
        assert cyc.refusals == {}
    assert _lines(home) == [
        ("A", "cooldown", 1),
        ("B", "max_positions", 1),
        ("B", "total_notional_cap", 3),
        ("B", "total_notional_cap", 5),
    ]
    assert rt.blocked_active == {"A": "cooldown", "B": "total_notional_cap"}
    fresh = V1Runtime(cfg=CFG, broker_factory=lambda: None)  # type: ignore[arg-type,return-value]
    cyc = V1Cycle()
    _refuse(cyc, "A", "cooldown", 7)
    flush_refusals(_ctx(home, 7), fresh, cyc)  # a restart forgets: the standing refusal is written once more
    assert _lines(home)[-1] == ("A", "cooldown", 7)


def test_the_last_word_in_a_cycle_wins_and_an_entered_candidate_has_none(home) -> None:
    rt = V1Runtime(cfg=CFG, broker_factory=lambda: None)  # type: ignore[arg-type,return-value]
    cyc = V1Cycle()
    _refuse(cyc, "A", "max_positions", 1)
    _refuse(cyc, "A", "displacement_declined_margin_too_small", 1)
    _refuse(cyc, "B", "max_positions", 1)
    drop_refusal(cyc, "B")  # displacement opened it
    flush_refusals(_ctx(home, 1), rt, cyc)
    assert _lines(home) == [("A", "displacement_declined_margin_too_small", 1)]


def test_each_unplanned_offer_gets_why() -> None:
    cfg = StrategyV1Config.model_validate({"displacement": {"max_per_cycle": 2, "min_score_margin": 0.75}})
    held = [Held("W1", 1.0, 30.0), Held("W2", 3.0, 30.0), Held("YOUNG", 0.5, 5.0)]
    held += [Held(f"S{i}", 6.0, 30.0) for i in range(13)]
    offers = [Offer("O1", 4.0, "long"), Offer("O2", 3.5, "long"), Offer("O3", 9.0, "long"), Offer("S0", 9.5, "long")]
    plans = plan_displacements(held, offers, cfg)
    # ranked O3 (9.0) vs W1 (1.0): planned; O1 (4.0) vs W2 (3.0): margin 1.0 planned; O2: third -> max_per_cycle
    assert [(p.open_symbol, p.close_symbol) for p in plans] == [("O3", "W1"), ("O1", "W2")]
    why = explain_declines(held, offers, plans, cfg)
    assert set(why) == {"O2", "S0"}
    assert why["O2"].why == "max_per_cycle" and why["S0"].why == "already_held"


def test_declines_young_book_small_margin_and_pending_cap() -> None:
    young = [Held(f"S{i}", 3.0, 4.0) for i in range(16)]
    offers = [Offer("N", 3.5, "long")]
    why = explain_declines(young, offers, plan_displacements(young, offers, CFG), CFG)
    assert why["N"].why == "no_position_old_enough" and why["N"].numbers["oldest_held_minutes"] == 4.0
    old = [Held(f"S{i}", 3.0 + i / 10, 40.0) for i in range(16)]
    why = explain_declines(old, offers, plan_displacements(old, offers, CFG), CFG)
    assert why["N"].why == "margin_too_small"
    assert why["N"].numbers["weakest_symbol"] == "S0" and why["N"].numbers["margin"] == 0.5
    short_book = old[:15]  # the cap was reached by a pending entry, not by positions
    why = explain_declines(short_book, offers, plan_displacements(short_book, offers, CFG), CFG)
    assert why["N"].why == "book_not_full"
    off = StrategyV1Config.model_validate({"displacement": {"enabled": False}})
    assert explain_declines(old, offers, [], off) == {}  # no displacement: the cap refusal stands
