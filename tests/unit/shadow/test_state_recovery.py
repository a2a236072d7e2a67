"""Journal-first persistence: a crash between the journal and the state save is rolled forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from src.core.jsonio import append_jsonl, read_jsonl
from src.core.paths import Paths
from src.exit.models import ExitV2Config
from src.shadow.config import ShadowV2Config
from src.shadow.state import (
    ShadowState,
    load_shadow_state,
    open_positions_from_journal,
    recover_from_journal,
    save_shadow_state,
    write_exit_records,
)
from src.shadow.trader import decide_cycle

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def v(sym, score, price):
    return {"symbol": sym, "price": price, "v2_score": score, "direction": "long", "snapshot": {"v2_score": score}}


def test_crash_after_journal_before_save_is_recovered(home: Paths, read_events) -> None:
    cfg, xcfg = ShadowV2Config(), ExitV2Config()
    s1, rows1 = decide_cycle(ShadowState(), {"A": v("A", 4, 100.0), "B": v("B", 4, 10.0)}, T0, cfg, xcfg)
    for r in rows1:
        append_jsonl(home.shadow_trades_log, r)
    save_shadow_state(home, s1)
    write_exit_records(home, rows1)
    # next cycle: A stops out, C enters; the process dies after the journal, before the save
    s2, rows2 = decide_cycle(
        s1, {"A": v("A", 4, 90.0), "B": v("B", 4, 10.0), "C": v("C", 4, 5.0)}, T0 + timedelta(minutes=5), cfg, xcfg
    )
    assert [r["action"] for r in rows2] == ["exit", "entry"]
    for r in rows2:
        append_jsonl(home.shadow_trades_log, r)
    stale = load_shadow_state(home)
    assert set(stale.positions) == {"A", "B"}
    assert recover_from_journal(home, stale) == 2
    assert set(stale.positions) == {"B", "C"} and stale.last_seq == s2.last_seq
    assert stale.realized_pnl_usd == s2.realized_pnl_usd and "A" in stale.cooldown_until
    assert set(load_shadow_state(home).positions) == {"B", "C"}
    master, _ = read_jsonl(home.master_trade_log)
    att, _ = read_jsonl(home.exit_attribution_log)
    assert [m["symbol"] for m in master] == ["A"] and [a["symbol"] for a in att] == ["A"]
    assert len(read_events(home, "shadow_state_recovered")) == 1
    # recovery is idempotent, and never writes an exit twice
    assert recover_from_journal(home, load_shadow_state(home)) == 0
    write_exit_records(home, rows2, dedupe=True)
    assert len(read_jsonl(home.master_trade_log)[0]) == 1
    assert open_positions_from_journal(home) == {s: p.trade_id for s, p in load_shadow_state(home).positions.items()}


def test_corrupt_state_is_rebuilt_from_the_journal(home: Paths) -> None:
    cfg, xcfg = ShadowV2Config(), ExitV2Config()
    s1, rows = decide_cycle(ShadowState(), {"A": v("A", 4, 100.0)}, T0, cfg, xcfg)
    for r in rows:
        append_jsonl(home.shadow_trades_log, r)
    home.shadow_positions.write_text("{not json")
    state = load_shadow_state(home)  # quarantined + default
    assert state.positions == {}
    recover_from_journal(home, state)
    assert list(state.positions) == ["A"] and state.positions["A"].trade_id == s1.positions["A"].trade_id
