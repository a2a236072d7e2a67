"""Displacement planning: worked examples plus the 'never increases the count' property."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from src.engine.config import StrategyV1Config
from src.engine.displacement import Held, Offer, plan_displacements

CFG = StrategyV1Config()


def book(n: int = 16, weak: float = 2.0, held_min: float = 30.0) -> list[Held]:
    return [Held("W", weak, held_min)] + [Held(f"S{i}", 5.0, held_min) for i in range(n - 1)]


def test_replaces_weakest_when_margin_met() -> None:
    plans = plan_displacements(book(), [Offer("NEW", 2.75, "long")], CFG)
    assert len(plans) == 1
    p = plans[0]
    assert (p.close_symbol, p.open_symbol, p.margin) == ("W", "NEW", 0.75)
    assert "beats weakest W" in p.reasoning


def test_margin_not_met() -> None:
    assert plan_displacements(book(), [Offer("NEW", 2.74, "long")], CFG) == []


def test_not_at_cap() -> None:
    assert plan_displacements(book(15), [Offer("NEW", 8.0, "long")], CFG) == []


def test_min_hold_time() -> None:
    held = [Held("W", 0.5, 19.9)] + [Held(f"S{i}", 5.0, 30.0) for i in range(15)]
    plans = plan_displacements(held, [Offer("NEW", 6.0, "long")], CFG)
    # W is too young; the weakest eligible scores 5.0 and 6.0 - 5.0 = 1.0 >= 0.75
    assert [(p.close_symbol, p.open_symbol) for p in plans] == [("S0", "NEW")]


def test_max_per_cycle_and_pairing() -> None:
    held = [Held("A", 1.0, 30), Held("B", 1.5, 30), Held("C", 1.6, 30)] + [Held(f"S{i}", 7.0, 30) for i in range(13)]
    offers = [Offer("X", 6.0, "long"), Offer("Y", 5.0, "short"), Offer("Z", 4.0, "long"), Offer("A", 8.0, "long")]
    plans = plan_displacements(held, offers, CFG)
    assert [(p.close_symbol, p.open_symbol) for p in plans] == [("A", "X"), ("B", "Y")]


@settings(max_examples=300, deadline=None)
@given(
    held=st.lists(st.tuples(st.floats(0, 8), st.floats(0, 300)), max_size=20),
    offers=st.lists(
        st.tuples(st.sampled_from([f"O{i}" for i in range(10)] + ["H0", "H1"]), st.floats(0, 8)), max_size=12
    ),
)
def test_never_increases_count(held, offers) -> None:
    h = [Held(f"H{i}", s, m) for i, (s, m) in enumerate(held)]
    o = [Offer(sym, s, "long") for sym, s in offers]
    plans = plan_displacements(h, o, CFG)
    closes = {p.close_symbol for p in plans}
    opens = [p.open_symbol for p in plans]
    assert len(closes) == len(plans) and len(set(opens)) == len(opens)
    after = ({x.symbol for x in h} - closes) | set(opens)
    assert len(after) <= len(h)
    assert all(p.open_score - p.close_score >= CFG.displacement.min_score_margin for p in plans)
