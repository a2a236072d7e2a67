"""shadow_step inside a real engine cycle context: decisions, state, logs, guard, containment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from src.core.jsonio import read_jsonl
from src.core.paths import Paths
from src.core.state import LoadStatus, inspect_state
from src.exit.exit_attribution import ATTRIBUTION_KEYS
from src.shadow.guard import ShadowOrderViolation, assert_not_shadow, in_shadow, shadow_context
from src.shadow.state import ShadowState, open_positions_from_journal
from src.shadow.step import shadow_step
from tests.integration.shadow.fixtures import context, write_intel

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 ET
SYMS = ["AAPL", "MSFT", "NVDA"]


def test_session_entries_then_exits_write_every_log(home: Paths) -> None:
    write_intel(home, NOW, SYMS)
    engine: dict = {}
    prices = {"AAPL": 200.0, "MSFT": 400.0, "NVDA": 100.0}
    ctx = context(home, NOW, 1, prices, {"AAPL": 4.0, "MSFT": 3.0, "NVDA": 1.0}, engine)
    shadow_step(ctx)
    assert ctx.errors == [] and ctx.counters == {}  # v1's cycle record is untouched
    assert ctx.extras["shadow"]["decisions"] == {"entry": 2}
    rows, _ = read_jsonl(home.shadow_trades_log)
    assert {(r["symbol"], r["action"]) for r in rows} == {("AAPL", "entry"), ("MSFT", "entry")}
    aapl = next(r for r in rows if r["symbol"] == "AAPL")
    assert aapl["regime"] == "risk_on" and aapl["v1_score"] == 4.0
    assert aapl["inputs"]["intel"]["premarket_intel"] == "ok"
    st = inspect_state(home.shadow_positions, ShadowState)
    assert st.status is LoadStatus.ok and set(st.value.positions) == {"AAPL", "MSFT"}
    assert st.value.positions["AAPL"].entry_snapshot["darkpool_notional"] == 4e6

    # 40 minutes later AAPL falls through its stop; MSFT holds
    later = NOW + timedelta(minutes=40)
    ctx2 = context(
        home, later, 2, {"AAPL": 196.0, "MSFT": 401.0, "NVDA": 100.0}, {"AAPL": 3.5, "MSFT": 3.1, "NVDA": 1.0}, engine
    )
    shadow_step(ctx2)
    assert ctx2.extras["shadow"]["decisions"] == {"exit": 1}
    att, _ = read_jsonl(home.exit_attribution_log)
    assert len(att) == 1 and all(k in att[0] for k in ATTRIBUTION_KEYS)
    assert att[0]["exit_reason"] == "stop_loss" and att[0]["time_in_trade_minutes"] == 40.0
    assert att[0]["entry_regime"] == "risk_on" and att[0]["entry_sector_profile"]
    master, _ = read_jsonl(home.master_trade_log)
    assert len(master) == 1 and master[0]["is_shadow"] is True and master[0]["source"] == "shadow"
    assert master[0]["is_live"] is False and master[0]["realized_pnl_usd"] < 0
    uw_att, _ = read_jsonl(home.uw_attribution_log)
    assert {r.get("symbol") for r in uw_att} >= {"AAPL", "MSFT"}
    assert open_positions_from_journal(home) == {
        s: p.trade_id for s, p in inspect_state(home.shadow_positions, ShadowState).value.positions.items()
    }


def test_uses_cache_price_when_quotes_absent(home: Paths) -> None:
    write_intel(home, NOW, SYMS)
    ctx = context(home, NOW, 1, {"AAPL": 123.0}, {"AAPL": 4.0}, {}, quotes=False)
    shadow_step(ctx)
    rows, _ = read_jsonl(home.shadow_trades_log)
    assert rows[0]["quote"] == 123.0


def test_disabled_and_closed_market_do_nothing(home: Paths) -> None:
    write_intel(home, NOW, SYMS)
    ctx = context(home, NOW, 1, {"AAPL": 123.0}, {"AAPL": 4.0}, {})
    ctx.settings = ctx.settings.model_copy(update={"shadow_enabled": False})
    shadow_step(ctx)
    ctx2 = context(home, NOW, 1, {"AAPL": 123.0}, {"AAPL": 4.0}, {})
    ctx2.market_open = False
    shadow_step(ctx2)
    assert ctx2.extras["shadow"]["skipped"] == "market_closed"
    assert not home.shadow_trades_log.exists() and not home.shadow_positions.exists()


def test_failure_is_contained_with_one_event(home: Paths, read_events, monkeypatch: pytest.MonkeyPatch) -> None:
    import src.shadow.step as step

    def boom(*a, **k):
        raise RuntimeError("composite exploded")

    monkeypatch.setattr(step, "build_views", boom)
    ctx = context(home, NOW, 1, {"AAPL": 1.0}, {"AAPL": 4.0}, {})
    shadow_step(ctx)  # must not raise
    assert ctx.errors == [] and "composite exploded" in ctx.extras["shadow"]["error"]
    assert len(read_events(home, "shadow_cycle_failed")) == 1


def test_guard_blocks_orders_only_inside_shadow() -> None:
    assert not in_shadow()
    assert_not_shadow()  # v1 path: allowed
    with shadow_context():
        assert in_shadow()
        with pytest.raises(ShadowOrderViolation):
            assert_not_shadow("submit_order")
        seen: list[bool] = []
        t = threading.Thread(target=lambda: seen.append(in_shadow()))  # another thread = v1: unaffected
        t.start()
        t.join()
        assert seen == [False]
    assert not in_shadow()


def test_order_attempt_from_within_the_step_raises(home: Paths, read_events, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything reached from a shadow cycle that calls the broker's submit guard is refused."""
    import src.shadow.step as step

    def sneaky(ctx, rt, state, cfg):
        assert_not_shadow("submit_order")  # what the broker's submit does first
        return {}

    monkeypatch.setattr(step, "build_views", sneaky)
    ctx = context(home, NOW, 1, {"AAPL": 1.0}, {"AAPL": 4.0}, {})
    shadow_step(ctx)
    assert "ShadowOrderViolation" in ctx.extras["shadow"]["error"]
    assert len(read_events(home, "shadow_order_attempt_blocked")) == 1


def test_prefers_the_broker_quotes_v1_fetched(home: Paths) -> None:
    from types import SimpleNamespace

    write_intel(home, NOW, SYMS)
    ctx = context(home, NOW, 1, {"AAPL": 123.0}, {"AAPL": 4.0}, {})
    ctx.extras["v1"] = SimpleNamespace(quotes={"AAPL": 125.5})
    shadow_step(ctx)
    rows, _ = read_jsonl(home.shadow_trades_log)
    assert rows[0]["quote"] == 125.5
