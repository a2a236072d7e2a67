"""Contract 5.2: "All dict access MUST use .get(). No KeyError may occur anywhere in the trading pipeline."

Static: the v1 trading modules contain no `mapping[key]` reads (indexing by an int or a slice
is sequence access and allowed; type subscripts like `dict[str, float]` are annotations).
Dynamic: records with every documented key missing, null or mistyped score and trade without
a KeyError (the hypothesis property in tests/unit/engine/test_scoring.py covers arbitrary shapes).
"""

from __future__ import annotations

import ast

from src.core.paths import REPO_ROOT
from src.engine.config import StrategyV1Config
from src.engine.scoring import score_symbol

TRADING_MODULES = [
    "src/engine/scoring.py",
    "src/engine/risk.py",
    "src/engine/exits.py",
    "src/engine/displacement.py",
    "src/engine/orders.py",
    "src/engine/reconcile.py",
    "src/engine/fills.py",
    "src/engine/order_follow.py",
    "src/engine/positions.py",
    "src/engine/trade_logs.py",
    "src/engine/steps.py",
    "src/engine/step_state.py",
    "src/engine/step_reconcile.py",
    "src/engine/step_score.py",
    "src/engine/step_exits.py",
    "src/engine/step_entries.py",
    "src/engine/step_displacement.py",
    "src/engine/pipeline.py",
    "src/broker/alpaca.py",
    "src/broker/interface.py",
    "src/broker/factory.py",
    "src/broker/errors.py",
]
TYPE_NAMES = {
    "dict",
    "list",
    "tuple",
    "set",
    "frozenset",
    "type",
    "Literal",
    "Callable",
    "Mapping",
    "Iterator",
    "LoadResult",
    "ContextVar",
    "Generic",
    "Protocol",
}


def _keyed_reads(path: str) -> list[str]:
    tree = ast.parse((REPO_ROOT / path).read_text())
    bad = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)):
            continue
        sl = node.slice
        if isinstance(sl, (ast.Slice, ast.UnaryOp)) or (isinstance(sl, ast.Constant) and isinstance(sl.value, int)):
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in TYPE_NAMES:
            continue
        if isinstance(base, ast.Attribute) and base.attr in TYPE_NAMES:
            continue
        bad.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return bad


def test_no_keyed_subscript_reads_in_trading_modules() -> None:
    bad = [b for m in TRADING_MODULES for b in _keyed_reads(m)]
    assert bad == []


def test_every_documented_field_missing_or_null() -> None:
    fields = {
        "flow": [
            "call_premium",
            "put_premium",
            "net_premium",
            "sweep_count",
            "block_count",
            "alert_count",
            "repeated_hits",
            "sentiment",
            "last_update",
        ],
        "dark_pool": ["print_count", "total_notional", "total_size", "avg_price", "last_update"],
        "greek_exposure": ["call_gamma", "put_gamma", "net_gamma", "call_delta", "put_delta"],
        "iv_rank": ["value"],
        "oi_change": ["net_oi_change"],
    }
    cfg = StrategyV1Config()
    for family, keys in fields.items():
        for k in keys:
            for v in (None, "", "abc", [], {}, float("nan")):
                rec = {"price": 10.0, family: {k: v}}
                r = score_symbol("X", rec, {"market_tide": {}}, cfg, now=0.0)
                assert 0.0 <= r.score <= 8.0
