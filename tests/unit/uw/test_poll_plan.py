"""Quota planning: pacing follows the remaining budget and the session; EDF stretches intervals evenly."""

from __future__ import annotations

from datetime import UTC, datetime

from src.core.clock import MarketCalendar
from src.uw.poll_plan import FAMILIES, PaceInputs, PollPlanner, day_weights, pace_rpm

CAL = MarketCalendar()
OPEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue 10:00 ET
NIGHT = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tue 01:00 ET
SATURDAY = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def inputs(calls: int = 0, target: int = 68_000) -> PaceInputs:
    return PaceInputs(calls, target, 500, 0.9, 30.0, 1 / 6)


def test_market_hours_get_more_rate_than_night():
    assert pace_rpm(OPEN, CAL, inputs()) > 5 * pace_rpm(NIGHT, CAL, inputs())


def test_rate_never_exceeds_minute_headroom_nor_offhours_cap():
    late = datetime(2026, 11, 24, 20, 59, tzinfo=UTC)  # one minute before the close, lots left
    assert pace_rpm(late, CAL, inputs(calls=0)) <= 450
    assert pace_rpm(SATURDAY, CAL, inputs()) <= 30


def test_spent_budget_stops_polling_and_spending_slows_it():
    assert pace_rpm(OPEN, CAL, inputs(calls=68_000)) == 0.0
    assert pace_rpm(OPEN, CAL, inputs(calls=60_000)) < pace_rpm(OPEN, CAL, inputs(calls=10_000))


def test_planned_day_fits_the_budget():
    """Integrating the pace minute by minute over a whole day never overshoots the target."""
    from datetime import timedelta

    from src.core.clock import NY

    t = datetime(2026, 11, 24, 0, 0, tzinfo=NY)
    used = 0.0
    for _ in range(24 * 60):
        used += pace_rpm(t, CAL, inputs(calls=int(used)))
        t += timedelta(minutes=1)
    assert 0.9 * 68_000 < used <= 68_000


def test_weights_count_only_remaining_session():
    weighted, current = day_weights(OPEN, CAL, 1 / 6)
    assert current == 1.0
    assert 360 < weighted < 360 + 14 * 60 / 6 + 1


def test_edf_orders_and_reschedules():
    planner = PollPlanner(FAMILIES, offhours_slowdown=3.0)
    planner.set_symbols(["AAPL", "MSFT"], now=0.0)
    first = [planner.pop_due(0.0) for _ in range(4)]
    assert [j.family.scope for j in first] == ["market"] * 4  # market-wide feeds first
    job = planner.pop_due(0.0)
    assert job.family.name == "flow" and job.symbol == "AAPL"
    planner.done(job, now=10.0, market_open=True)
    planner.done(first[0], now=10.0, market_open=False)  # flow_alerts outside hours: 30 s * 3
    drained = []
    while (j := planner.pop_due(10.0)) is not None:
        drained.append(j.key)
    assert ("flow", "AAPL") not in drained and len(drained) == 2 * 5 - 1
    assert planner.next_due_at() == 10.0 + 90.0


def test_removed_symbols_are_forgotten():
    planner = PollPlanner(FAMILIES)
    planner.set_symbols(["AAPL", "MSFT"], now=0.0)
    planner.set_symbols(["AAPL"], now=0.0)
    keys = set()
    while (j := planner.pop_due(0.0)) is not None:
        keys.add(j.symbol)
    assert keys == {None, "AAPL"}
