"""v1 composite score: a pure function of one cache record and the market-wide block.

The formula (docs/strategy_v1.md) is the original system's shape: weighted components that
agree with the flow direction, times a freshness factor, plus a whale/sweep bonus, minus a
toxicity penalty, clamped to 0..8. Records come from another process and may be partial,
stale or malformed; every read here is defensive so that no record shape can raise (a
hypothesis test feeds arbitrary shapes). What could not be read is listed in `missing`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from src.engine.config import StrategyV1Config
from src.engine.config import load_strategy_config as _load_config

Direction = Literal["long", "short", "none"]
SCORE_MAX = 8.0
UNKNOWN_AGE_FRESHNESS = 0.5  # no timestamp: neither trusted as fresh nor discarded as dead
_BULLISH = frozenset({"BULLISH", "BULL", "LONG", "POSITIVE", "CALL"})
_BEARISH = frozenset({"BEARISH", "BEAR", "SHORT", "NEGATIVE", "PUT"})


@dataclass(slots=True)
class ScoreResult:
    symbol: str
    score: float = 0.0
    direction: Direction = "none"
    components: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    clusters: int = 0
    freshness: float = 1.0
    toxicity: float = 0.0
    price: float | None = None

    def signals(self) -> list[str]:
        """Names of the components that pushed the score up (for trade logs)."""
        return sorted(k for k in _SIGNAL_KEYS if self.components.get(k, 0.0) > 0.0)


_SIGNAL_KEYS = ("flow", "dark_pool", "gamma", "oi_change", "market_tide", "iv_rank", "bonus")


def load_strategy_config(path: Path | str | None = None) -> StrategyV1Config:
    return _load_config(path)


def num(value: Any) -> float | None:
    """A finite float from a number or numeric string; anything else is None."""
    t = type(value)
    if t is float:
        return value if math.isfinite(value) else None
    if t is int:
        f = float(value) if -1e300 < value < 1e300 else math.inf
    elif t is str:
        try:
            f = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        f = float(value)
    else:
        return None
    return f if math.isfinite(f) else None


def _sub(record: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    v = record.get(key)
    return v if isinstance(v, Mapping) else None


def _field(block: Mapping[str, Any] | None, key: str) -> float | None:
    return num(block.get(key)) if block is not None else None


def _sign(x: float | None) -> int:
    if x is None or x == 0:
        return 0
    return 1 if x > 0 else -1


def _ratio(x: float | None, full: float) -> float:
    if x is None:
        return 0.0
    return min(1.0, abs(x) / full)


def _sentiment(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    v = value.strip().upper()
    return 1 if v in _BULLISH else -1 if v in _BEARISH else 0


def _tide_net(market: Mapping[str, Any] | None) -> float | None:
    """Net call minus put premium of the newest market-tide row (dict or list of rows)."""
    if not isinstance(market, Mapping):
        return None
    item = market.get("market_tide")
    data = item.get("data") if isinstance(item, Mapping) else getattr(item, "data", item)
    if isinstance(data, Mapping) and isinstance(data.get("data"), list):
        data = data.get("data")
    if isinstance(data, list):
        rows = [r for r in data if isinstance(r, Mapping)]
        data = rows[-1] if rows else None
    if not isinstance(data, Mapping):
        return None
    calls, puts = num(data.get("net_call_premium")), num(data.get("net_put_premium"))
    if calls is None and puts is None:
        return num(data.get("net_premium"))
    return (calls or 0.0) - (puts or 0.0)


def freshness_factor(last_update: float | None, now: float | None, cfg: StrategyV1Config) -> float:
    if now is None:
        return 1.0
    if last_update is None:
        return UNKNOWN_AGE_FRESHNESS
    age = max(0.0, now - last_update)
    f = cfg.freshness
    if age <= f.full_until_s:
        return 1.0
    return max(0.0, 1.0 - (age - f.full_until_s) / (f.zero_at_s - f.full_until_s))


def _direction(
    flow: Mapping[str, Any] | None,
    record: Mapping[str, Any],
    imbalance: float | None,
    net: float | None,
    cfg: StrategyV1Config,
) -> int:
    s = _sentiment(flow.get("sentiment") if flow is not None else None) or _sentiment(record.get("sentiment"))
    if s:
        return s
    if imbalance is not None and abs(imbalance) >= cfg.scales.flow_min_imbalance:
        return _sign(imbalance)
    if net is not None and abs(net) >= cfg.scales.flow_min_premium:
        return _sign(net)
    return 0


def score_symbol(
    symbol: str,
    record: Mapping[str, Any] | None,
    market: Mapping[str, Any] | None,
    cfg: StrategyV1Config,
    now: float | None = None,
) -> ScoreResult:
    """Score one symbol. `now` (epoch s) enables the freshness factor; never raises on data."""
    return _score(symbol, record, _tide_net(market), cfg, now)


def _score(
    symbol: str, record: Mapping[str, Any] | None, tide: float | None, cfg: StrategyV1Config, now: float | None
) -> ScoreResult:
    res = ScoreResult(symbol=str(symbol))
    if not isinstance(record, Mapping):
        res.missing.append("record")
        record = {}
    w, sc = cfg.weights, cfg.scales
    missing = res.missing

    flow = _sub(record, "flow")
    if flow is None:
        missing.append("flow")
    calls, puts, net = _field(flow, "call_premium"), _field(flow, "put_premium"), _field(flow, "net_premium")
    if net is None and flow is not None:
        net = num(record.get("net_premium"))
    total = (calls or 0.0) + (puts or 0.0)
    imbalance: float | None = None
    if calls is not None or puts is not None:
        imbalance = ((calls or 0.0) - (puts or 0.0)) / total if total > 0 else 0.0
    elif net is not None:
        total = abs(net)
        imbalance = float(_sign(net))
    elif flow is not None:
        missing.append("flow.premium")
    s = _direction(flow, record, imbalance, net, cfg)
    res.direction = "long" if s > 0 else "short" if s < 0 else "none"

    conviction = 0.0
    if imbalance is not None and total >= sc.flow_min_premium:
        conviction = abs(imbalance) * min(1.0, total / sc.flow_premium_full)
    flow_c = w.flow * conviction if s != 0 and _sign(imbalance) == s else 0.0

    dp = _sub(record, "dark_pool")
    if dp is None:
        missing.append("dark_pool")
    prints = _field(dp, "print_count")
    dp_c = 0.0
    if s != 0 and dp is not None and (prints is None or prints > 0):
        dp_c = w.dark_pool * _ratio(_field(dp, "total_notional"), sc.dark_pool_notional_full)

    gx = _sub(record, "greek_exposure")
    if gx is None:
        missing.append("greek_exposure")
    gamma = _field(gx, "net_gamma")
    if gamma is None and gx is not None:
        cg, pg = _field(gx, "call_gamma"), _field(gx, "put_gamma")
        gamma = None if cg is None and pg is None else (cg or 0.0) + (pg or 0.0)
    gamma_c = w.gamma * _ratio(gamma, sc.gamma_full) if s != 0 and _sign(gamma) == s else 0.0

    oi = _sub(record, "oi_change")
    oi_v = _field(oi, "net_oi_change")
    if oi is None:
        missing.append("oi_change")
    oi_c = w.oi_change * _ratio(oi_v, sc.oi_change_full) if s != 0 and _sign(oi_v) == s else 0.0

    ivr = _sub(record, "iv_rank")
    iv_v = _field(ivr, "value")
    if ivr is None:
        missing.append("iv_rank")
    iv01 = 0.0 if iv_v is None else min(1.0, max(0.0, iv_v / 100.0 if iv_v > 1.0 else iv_v))
    iv_c = w.iv_rank * iv01 if s != 0 else 0.0

    if tide is None:
        missing.append("market_tide")
    tide_c = w.market_tide * _ratio(tide, sc.tide_premium_full) if s != 0 and _sign(tide) == s else 0.0

    sweeps, blocks, hits = _field(flow, "sweep_count"), _field(flow, "block_count"), _field(flow, "repeated_hits")
    b = cfg.bonus
    clusters = int(max(0.0, sweeps or 0.0) // b.cluster_min_sweeps) + int(max(0.0, min(blocks or 0.0, 1e6)))
    res.clusters = clusters
    bonus = 0.0
    if s != 0:
        bonus = b.per_cluster * clusters + (b.repeated_hits_bonus if (hits or 0.0) >= b.repeated_hits_min else 0.0)
        bonus = min(b.max_bonus, bonus)

    tox = num(record.get("toxicity"))
    res.toxicity = 0.0 if tox is None else min(1.0, max(0.0, tox))
    penalty = w.toxicity_penalty * res.toxicity

    last = num(record.get("last_update"))
    if last is None:
        last = _field(flow, "last_update")
        if last is None:
            missing.append("last_update")
    res.freshness = freshness_factor(last, now, cfg)
    res.price = num(record.get("price"))
    if res.price is not None and res.price <= 0:
        res.price = None
    if res.price is None:
        missing.append("price")

    base = flow_c + dp_c + gamma_c + oi_c + iv_c + tide_c
    res.score = round(min(SCORE_MAX, max(0.0, base * res.freshness + bonus - penalty)), 6)
    res.components = {
        "flow": flow_c,
        "dark_pool": dp_c,
        "gamma": gamma_c,
        "oi_change": oi_c,
        "iv_rank": iv_c,
        "market_tide": tide_c,
        "bonus": bonus,
        "toxicity_penalty": penalty,
        "freshness": res.freshness,
        "conviction": conviction,
        "imbalance": imbalance or 0.0,
    }
    return res


def score_cache(
    symbols: Mapping[str, Any], market: Mapping[str, Any] | None, cfg: StrategyV1Config, now: float | None = None
) -> dict[str, ScoreResult]:
    """Score every symbol; the market-wide block is read once, not once per symbol."""
    tide = _tide_net(market)
    return {str(sym): _score(str(sym), rec, tide, cfg, now) for sym, rec in symbols.items()}
