"""Fixtures for the simulator unit tests: a frozen clock inside a trading session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.core.clock import FixedClock

# Tuesday 2026-03-10, 13:00 New York: mid-session on a regular trading day.
MID_SESSION = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MID_SESSION)
