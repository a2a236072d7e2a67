from __future__ import annotations

from datetime import UTC, date, datetime

from src.core.clock import AcceleratedClock, FixedClock, MarketCalendar, trading_day


def test_holiday_and_early_close():
    cal = MarketCalendar()
    assert cal.session(date(2026, 11, 26)) is None  # Thanksgiving
    s = cal.session(date(2026, 11, 27))
    assert s is not None and s.early_close and s.close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    normal = cal.session(date(2026, 11, 30))
    assert normal is not None and not normal.early_close
    assert normal.open == datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    assert cal.session(date(2026, 11, 28)) is None  # Saturday


def test_is_open_and_minutes_to_close():
    cal = MarketCalendar()
    assert cal.is_open(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    assert not cal.is_open(datetime(2026, 11, 30, 21, 0, tzinfo=UTC))
    assert cal.minutes_to_close(datetime(2026, 11, 30, 20, 50, tzinfo=UTC)) == 10.0
    assert cal.next_session(date(2026, 11, 25)).day == date(2026, 11, 27)


def test_fixed_clock_sleep_advances():
    c = FixedClock(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    c.sleep(90)
    assert c.now() == datetime(2026, 11, 30, 15, 1, 30, tzinfo=UTC)


def test_accelerated_clock_runs_faster():
    start = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    import time as _t

    c = AcceleratedClock(start, speed=600, real_start=_t.time() - 10.0)
    elapsed = (c.now() - start).total_seconds()
    assert 6000 <= elapsed < 6000 + 600 * 5  # 10 real seconds = 100 simulated minutes


def test_trading_day_is_new_york_date():
    assert trading_day(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == "2026-11-30"
