"""Universe ranking, risk-feature helpers and composite v2 adjustments (pure parts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.intel.composite_v2 import IntelInputs, compute_composite_v2, raw_adjustments
from src.intel.models import CoreUniverseConfig, IntelFile, SymbolIntel
from src.intel.risk_features import liquidity_score, normalize_iv_rank
from src.intel.universe import rank_daily, validate_symbols


def _row(t: str, prem: float, price: float = 50, vol: int = 20000, mcap: float = 5e9, **kw) -> dict:
    return {
        "ticker": t,
        "call_premium": str(prem / 2),
        "put_premium": str(prem / 2),
        "close": str(price),
        "call_volume": vol // 2,
        "put_volume": vol // 2,
        "marketcap": str(mcap),
        **kw,
    }


def test_rank_daily_filters_ranks_and_caps() -> None:
    cfg = CoreUniverseConfig(daily_max_symbols=2, min_underlying_price=5, min_option_volume=1000, min_marketcap=1e9)
    rows = [
        _row("AAA", 1e6),
        _row("BBB", 5e6),
        _row("CHEAP", 9e9, price=1),
        _row("THIN", 9e9, vol=10),
        _row("TINY", 9e9, mcap=1e6),
        _row("IDX", 9e9, is_index=True),
        _row("bad sym", 9e9),
        _row("CCC", 3e6),
        _row("BBB", 1e9),
    ]
    entries, dropped = rank_daily(rows, cfg)
    assert [e.symbol for e in entries] == ["BBB", "CCC"]
    assert [e.rank for e in entries] == [1, 2] and entries[0].score == 1.0 and 0 < entries[1].score < 1
    assert "premium $5,000,000" in entries[0].reason
    assert dropped == {"invalid_symbol": 1, "index": 1, "price": 1, "option_volume": 1, "marketcap": 1, "duplicate": 1}


def test_validate_symbols_dedupes_and_rejects() -> None:
    good, bad = validate_symbols(["spy", "SPY", " qqq ", "../x", "", 7, "BRK.B"])
    assert good == ["SPY", "QQQ", "BRK.B"] and len(bad) == 3


def test_iv_rank_normalised_and_liquidity_bounded() -> None:
    assert normalize_iv_rank(0.65) == 65.0 and normalize_iv_rank(42.0) == 42.0 and normalize_iv_rank(None) is None
    hi, lo = liquidity_score(200, 5e7, 1e6), liquidity_score(6, 2e5, 1500)
    assert 0 <= lo < hi <= 1 and liquidity_score(None, None, None) is None


def _pre() -> SymbolIntel:
    return SymbolIntel(
        symbol="AAPL",
        flow={"call_premium": 300.0, "put_premium": 100.0},
        net_premium={"net_ratio": 0.5},
        dark_pool={"total_notional": 1e9},
        greek_exposure={"gamma_regime": "negative"},
        earnings={"days_to_earnings": 1},
    )


def test_adjustments_follow_direction_and_earnings_penalises_both() -> None:
    long_adj = raw_adjustments(_pre(), None, {"tide_ratio": 0.2}, None, 1)
    short_adj = raw_adjustments(_pre(), None, {"tide_ratio": 0.2}, None, -1)
    assert long_adj["flow"] > 0 > short_adj["flow"] and long_adj["flow"] == -short_adj["flow"]
    assert long_adj["market_tide"] > 0 > short_adj["market_tide"]
    assert long_adj["earnings"] == short_adj["earnings"] < 0
    assert raw_adjustments(_pre(), None, {"tide_ratio": 0.2}, None, 0) == {}


def test_stale_family_contributes_nothing() -> None:
    pre = _pre()
    pre.flow = {"call_premium": 300.0, "put_premium": 100.0, "stale": True}
    assert "flow" not in raw_adjustments(pre, None, None, None, 1)


@dataclass
class FakeScoreResult:
    score: float = 3.0
    direction: str = "long"
    components: dict = field(default_factory=lambda: {"flow": 2.0})
    missing: list = field(default_factory=list)
    clusters: int = 1


def test_compute_accepts_score_result_objects_and_clamps() -> None:
    inputs = IntelInputs(premarket=IntelFile(symbols={"AAPL": _pre()}))
    inputs.info = {}
    out = compute_composite_v2("aapl", FakeScoreResult(score=7.95), inputs, attribute=False)
    assert out["symbol"] == "AAPL" and out["direction"] == "long"
    assert 0.0 <= out["score"] <= 8.0 and out["components"] == {"flow": 2.0}
    assert out["v2_metadata"]["composite_version"] == "v2"


def test_compute_never_raises_on_garbage() -> None:
    out = compute_composite_v2(
        None, {"score": "nan?", "direction": 5, "components": "x"}, IntelInputs(), attribute=False
    )  # type: ignore[arg-type]
    assert out["v2_metadata"]["composite_version"] == "v2" and isinstance(out["score"], float)
