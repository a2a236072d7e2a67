"""Runtime proof that the v2 shadow path never places an order (contract 4.17).

The static half (no import path from src/shadow, src/exit, src/intel to the broker or alpaca)
is an architecture test. This is the runtime half: while a shadow step runs, a context
variable is set, and the broker's order submission calls `assert_not_shadow()` first, which
raises `ShadowOrderViolation` (and leaves one event) if it is reached from shadow code.
A context variable, not a global flag, so a v1 thread running at the same time is unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from src.core.errors import StockBotError
from src.core.events import emit

_IN_SHADOW: ContextVar[bool] = ContextVar("stockbot_in_shadow", default=False)


class ShadowOrderViolation(StockBotError):
    """Something inside the shadow path tried to reach the broker's order submission."""


def in_shadow() -> bool:
    return _IN_SHADOW.get()


@contextmanager
def shadow_context() -> Iterator[None]:
    """Mark the enclosed code as shadow code (nests; always restored)."""
    token = _IN_SHADOW.set(True)
    try:
        yield
    finally:
        _IN_SHADOW.reset(token)


def assert_not_shadow(action: str = "submit_order") -> None:
    """Call at the top of every order-placing function; raises inside a shadow step."""
    if _IN_SHADOW.get():
        emit("shadow", "shadow_order_attempt_blocked", "critical", action=action)
        raise ShadowOrderViolation(f"{action} called from the v2 shadow path; shadow never places orders")
