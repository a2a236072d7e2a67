"""Contract 4.17: "v1 remains the ONLY live trading path. v2 MUST be shadow-only: MUST never submit
live orders."

v1 side of the proof (the import-graph half is tests/architecture/test_shadow_never_orders.py):
- the only code that calls a broker's `submit` is the v1 order module;
- the shadow step is the last step and runs inside the shadow context, so even a shadow step
  that got hold of the v1 broker handle cannot place an order (the broker refuses, no order
  reaches the simulator's ledger, and the cycle only degrades);
- every order the simulator saw carries the v1 client-order-id prefix and was logged by v1.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from src.broker.interface import OrderRequest
from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT
from src.engine import steps as v1_steps
from src.engine.orders import parse_client_order_id
from tests.integration.engine.sim_harness import make_engine, serve_sim, strong, write_cache

guard = pytest.importorskip("src.shadow.guard")


def _submit_callers() -> set[str]:
    found = set()
    for f in (REPO_ROOT / "src").rglob("*.py"):
        if f.is_relative_to(REPO_ROOT / "src" / "sim"):
            continue  # the simulator *is* the broker: its own ledger's submit is not a client call
        for node in ast.walk(ast.parse(f.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("submit", "submit_order")
                and "broker" in ast.unparse(node.func.value).lower()
            ):
                found.add(str(f.relative_to(REPO_ROOT)))
    return found


def test_only_v1_orders_module_submits() -> None:
    # the v1 order module, and the broker adapter forwarding to alpaca-py's submit_order
    assert _submit_callers() <= {"src/engine/orders.py", "src/broker/alpaca.py"}
    assert "src/engine/orders.py" in _submit_callers()


def test_shadow_step_last_and_cannot_order(home, tmp_path: Path, monkeypatch, read_events) -> None:
    attempts: list[str] = []

    def evil_shadow(ctx) -> None:  # type: ignore[no-untyped-def]
        broker = ctx.extras["engine"]["v1"].get_broker()
        attempts.append("tried")
        broker.submit(OrderRequest("AAPL", 1, "buy", "shadow-1"))

    monkeypatch.setattr(v1_steps, "shadow_step_factory", lambda: evil_shadow)
    with serve_sim(tmp_path) as sim:
        now = sim.clock.now().timestamp()
        write_cache(home, {"MSFT": strong(now=now)}, now)
        eng = make_engine(home, sim, shadow_enabled=True)
        names = [s.name for s in eng.steps]
        assert names == ["reconcile", "score", "exits", "entries", "displacement", "attribution", "shadow"]
        res = eng.run_once()
        ledger = sim.ledger()
    assert attempts == ["tried"]
    assert res.engine_status == "degraded" and any(e.startswith("shadow:") for e in res.errors)
    assert read_events(home, "shadow_order_attempt_blocked")
    cids = [o["client_order_id"] for o in ledger["orders"].values()]
    assert cids and "shadow-1" not in cids
    assert all(parse_client_order_id(c, "v1") is not None for c in cids)
    submits = {r["client_order_id"] for r in read_jsonl(home.orders_log)[0] if r["event"] == "submit"}
    assert set(cids) == submits


def test_shadow_disabled_has_no_shadow_step(home, tmp_path: Path) -> None:
    with serve_sim(tmp_path) as sim:
        eng = make_engine(home, sim, shadow_enabled=False)
        assert "shadow" not in [s.name for s in eng.steps]
