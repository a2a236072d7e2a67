"""Seeded, deterministic market the two simulators share.

Both simulators ask this model for the same (symbol, time) and so agree on prices without
talking to each other: the UW simulator's flow and candles and the Alpaca simulator's fills
come from one price path. Everything is a pure function of (seed, symbol, time), so two
processes (the UW server and the Alpaca server) built with the same seed see the same market.

Price model: per NY calendar day, a Brownian bridge on log price between two daily anchors,
with minute variance shaped like a real session (busy open and close, quiet lunch, almost
flat overnight). Anchors are multi-octave value noise plus a per-symbol drift, so prices wander
plausibly over weeks but never explode. Options flow is "informed": alerts lean towards the
direction the price takes over the next half hour, so a flow-following strategy has an edge to
find in the demo.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np

from src.core.clock import NY, MarketCalendar, Session
from src.sim.symbols import HARD_TO_BORROW, NAMED_SYMBOLS, SECTORS

ALERT_RULES = ("RepeatedHits", "RepeatedHitsAscendingFill", "RepeatedHitsDescendingFill",
               "FloorTradeLargeCap", "SweepsFollowedByFloor")
DAY_MINUTES = 1500  # longest NY calendar day (DST fall-back) in minutes
_REF_DAY = date(2026, 1, 2).toordinal()


@dataclass(frozen=True)
class SymbolProfile:
    symbol: str
    name: str
    sector: str
    base_price: float
    issue_type: str
    activity: float  # relative options-flow intensity
    daily_vol: float  # daily log-return standard deviation
    drift: float  # annual log drift
    shares_out: float
    shortable: bool
    easy_to_borrow: bool

    @property
    def marketcap(self) -> float:
        return self.base_price * self.shares_out


@dataclass(frozen=True)
class FlowAlert:
    ts: datetime
    symbol: str
    is_call: bool
    ask_side: bool
    strike: float
    expiry: date
    option_price: float
    size: int
    volume: int
    open_interest: int
    trade_count: int
    has_sweep: bool
    has_floor: bool
    rule: str
    underlying: float

    @property
    def premium(self) -> float:
        return self.option_price * self.size * 100.0

    @property
    def bullish(self) -> bool:
        return self.is_call == self.ask_side

    @property
    def otm(self) -> bool:
        return self.strike > self.underlying if self.is_call else self.strike < self.underlying


@dataclass(frozen=True)
class DarkPoolPrint:
    ts: datetime
    symbol: str
    price: float
    size: int
    nbbo_bid: float
    nbbo_ask: float
    tracking_id: int
    extended: bool

    @property
    def premium(self) -> float:
        return self.price * self.size


def _unit_hash(*parts: object) -> float:
    """Uniform in (0, 1) from a stable hash, so values never depend on call order."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return (struct.unpack(">Q", digest)[0] + 0.5) / 2.0**64


def _gauss_hash(*parts: object) -> float:
    u1, u2 = _unit_hash(*parts, "a"), _unit_hash(*parts, "b")
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@lru_cache(maxsize=4096)
def session_of(day: date) -> Session | None:
    return MarketCalendar().session(day)


def data_session(ts: datetime) -> Session | None:
    """The latest session that has opened by ts: what 'today' means for a flow endpoint."""
    day = ts.astimezone(NY).date()
    for back in range(12):
        s = session_of(day - timedelta(days=back))
        if s is not None and s.open <= ts:
            return s
    return None


def previous_sessions(before: date, n: int) -> list[Session]:
    """Up to n sessions strictly before `before`, newest first."""
    out: list[Session] = []
    day = before
    for _ in range(n * 2 + 12):
        day -= timedelta(days=1)
        s = session_of(day)
        if s is not None:
            out.append(s)
            if len(out) >= n:
                break
    return out


def _ny_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=NY).astimezone(UTC)


def _minute_weight(local_minute: int) -> float:
    """Relative variance per NY-local minute: U-shaped in the session, near flat overnight."""
    if 570 <= local_minute < 960:
        return 1.0 + 1.5 * math.exp(-(local_minute - 570) / 30.0) + 0.8 * math.exp(-(959 - local_minute) / 30.0)
    if 240 <= local_minute < 1200:
        return 0.08
    return 0.01


_WEIGHTS = np.array([_minute_weight(m) for m in range(DAY_MINUTES)])


class MarketModel:
    """Prices, options flow and dark-pool prints for any symbol at any time, from one seed."""

    def __init__(self, seed: int = 7, universe_size: int = 600) -> None:
        self.seed = seed
        self._named = {row[0]: row for row in NAMED_SYMBOLS}
        self._universe = self._build_universe(universe_size)
        self._path = lru_cache(maxsize=2048)(self._minute_path)
        self._alerts = lru_cache(maxsize=4096)(self._flow_alerts)
        self._prints = lru_cache(maxsize=4096)(self._darkpool)
        self._profiles = lru_cache(maxsize=16384)(self._profile)
        self._market_alerts = lru_cache(maxsize=16)(self._all_alerts)

    @staticmethod
    def shared(seed: int = 7, universe_size: int = 600) -> MarketModel:
        """One model per (seed, size) per process: it is pure, so simulators can share its caches."""
        return _shared_model(seed, universe_size)

    # ----- universe and profiles -------------------------------------------------------
    def _build_universe(self, size: int) -> tuple[str, ...]:
        names = [row[0] for row in NAMED_SYMBOLS]
        seen = set(names)
        rng = random.Random(f"universe:{self.seed}")
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        while len(names) < size:
            sym = "".join(rng.choice(letters) for _ in range(rng.choice((3, 4, 4))))
            if sym not in seen:
                seen.add(sym)
                names.append(sym)
        return tuple(names[: max(size, 1)])

    def universe(self) -> list[str]:
        return list(self._universe)

    def profile(self, symbol: str) -> SymbolProfile:
        return self._profiles(symbol.upper())

    def _profile(self, symbol: str) -> SymbolProfile:
        h = lambda tag: _unit_hash(self.seed, symbol, tag)  # noqa: E731 - local shorthand
        row = self._named.get(symbol)
        if row is not None:
            _, name, sector, base, issue, activity = row
        else:
            name = f"{symbol} SIMULATED CORP"
            sector = SECTORS[int(h("sector") * len(SECTORS))]
            base = round(math.exp(math.log(8.0) + h("price") * math.log(400.0 / 8.0)), 2)
            issue = "Common Stock"
            activity = round(0.2 + 1.6 * h("activity") ** 2, 3)
        daily_vol = 0.010 + 0.025 * h("vol") if issue != "ETF" else 0.008 + 0.006 * h("vol")
        shares = math.exp(math.log(5e7) + h("shares") * math.log(3e10 / 5e7))
        shortable = h("shortable") > 0.08 or row is not None
        etb = shortable and symbol not in HARD_TO_BORROW and h("etb") > 0.1
        return SymbolProfile(symbol, name, sector, float(base), issue, float(activity), daily_vol,
                             -0.10 + 0.35 * h("drift"), shares, shortable, etb)

    # ----- prices ------------------------------------------------------------------------
    def _anchor_log(self, symbol: str, day_ordinal: int) -> float:
        p = self.profile(symbol)
        value = math.log(p.base_price) + p.drift * (day_ordinal - _REF_DAY) / 365.0
        for period, amp in ((1, 0.9), (5, 2.0), (21, 4.0), (90, 6.0)):
            n, frac = divmod(day_ordinal, period)
            w = (1 - math.cos(math.pi * frac / period)) / 2
            g0 = _gauss_hash(self.seed, symbol, "oct", period, n)
            g1 = _gauss_hash(self.seed, symbol, "oct", period, n + 1)
            value += amp * p.daily_vol * (g0 * (1 - w) + g1 * w) / 2.0
        return value

    def _minute_path(self, symbol: str, day: date) -> np.ndarray:
        """Log prices at each minute since NY midnight of `day`, bridged to the next day's anchor."""
        p = self.profile(symbol)
        length = int((_ny_midnight(day + timedelta(days=1)) - _ny_midnight(day)).total_seconds() // 60)
        key = hashlib.blake2b(f"path:{self.seed}:{symbol}:{day.isoformat()}".encode(), digest_size=8).digest()
        rng = np.random.default_rng(int.from_bytes(key, "big"))
        weights = _WEIGHTS[:length]
        total_w = float(weights.sum())
        steps = rng.standard_normal(length) * (p.daily_vol / math.sqrt(total_w)) * np.sqrt(weights)
        walk = np.concatenate(([0.0], np.cumsum(steps)))
        frac = np.concatenate(([0.0], np.cumsum(weights))) / total_w
        a0 = self._anchor_log(symbol, day.toordinal())
        a1 = self._anchor_log(symbol, day.toordinal() + 1)
        path = a0 + frac * (a1 - a0) + walk - frac * walk[-1]
        path.flags.writeable = False  # shared through the cache
        return path

    def log_price(self, symbol: str, ts: datetime) -> float:
        symbol = symbol.upper()
        day = ts.astimezone(NY).date()
        path = self._path(symbol, day)
        minutes = (ts - _ny_midnight(day)).total_seconds() / 60.0
        i = min(max(int(minutes), 0), len(path) - 2)
        frac = min(max(minutes - i, 0.0), 1.0)
        return float(path[i] * (1 - frac) + path[i + 1] * frac)

    def price(self, symbol: str, ts: datetime) -> float:
        """Mid price of symbol at ts, rounded to the cent like a real print."""
        return round(math.exp(self.log_price(symbol, ts)), 2)

    def spread(self, symbol: str, ts: datetime) -> tuple[float, float]:
        """(bid, ask) around the mid: about 2 bp, at least a cent each side."""
        mid = math.exp(self.log_price(symbol, ts))
        half = max(0.01, round(mid * 0.0001, 2))
        return round(mid - half, 2), round(mid + half, 2)

    def day_open_close(self, symbol: str, session: Session) -> tuple[float, float]:
        return self.price(symbol, session.open), self.price(symbol, session.close)

    def minute_prices(self, symbol: str, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
        """Prices at each whole minute in [start, end), for candles."""
        out: list[tuple[datetime, float]] = []
        t = start.replace(second=0, microsecond=0)
        if t < start:
            t += timedelta(minutes=1)
        while t < end:
            out.append((t, self.price(symbol, t)))
            t += timedelta(minutes=1)
        return out

    def volume_per_minute(self, symbol: str, ts: datetime) -> int:
        """Shares traded in the minute at ts; follows the session's U-shaped activity."""
        p = self.profile(symbol)
        local = ts.astimezone(NY)
        weight = _WEIGHTS[min(local.hour * 60 + local.minute, DAY_MINUTES - 1)]
        daily_shares = p.shares_out * 0.006 * (0.5 + p.activity)
        noise = 0.6 + 0.8 * _unit_hash(self.seed, p.symbol, "vol", int(ts.timestamp() // 60))
        return max(0, int(daily_shares * weight / 600.0 * noise))

    # ----- options flow ------------------------------------------------------------------
    def _flow_alerts(self, symbol: str, day: date) -> tuple[FlowAlert, ...]:
        s = session_of(day)
        if s is None:
            return ()
        p = self.profile(symbol)
        rng = random.Random(f"alerts:{self.seed}:{symbol}:{day.isoformat()}")
        minutes = int((s.close - s.open).total_seconds() // 60)
        count = max(0, int(rng.gauss(18.0 * p.activity, 3.0 * math.sqrt(p.activity))))
        out = []
        for _ in range(count):
            ts = s.open + timedelta(seconds=rng.uniform(30, minutes * 60 - 1))
            out.append(self._one_alert(rng, p, ts, s.close))
        out.sort(key=lambda a: a.ts)
        return tuple(out)

    def _one_alert(self, rng: random.Random, p: SymbolProfile, ts: datetime, close: datetime) -> FlowAlert:
        under = self.price(p.symbol, ts)
        future = self.log_price(p.symbol, min(ts + timedelta(minutes=30), close)) - self.log_price(p.symbol, ts)
        lean = math.tanh(future / (0.15 * p.daily_vol))
        bullish = rng.random() < 0.5 + 0.35 * lean
        ask_side = rng.random() < 0.72
        is_call = bullish == ask_side
        dte = rng.choice((0, 1, 2, 4, 7, 9, 14, 21, 30, 45))
        expiry = ts.astimezone(NY).date() + timedelta(days=dte)
        expiry += timedelta(days=(4 - expiry.weekday()) % 7)  # options expire on Fridays
        step = 1.0 if under < 100 else 5.0 if under < 500 else 10.0
        otm_pct = abs(rng.gauss(0.02, 0.03))
        raw = under * (1 + otm_pct) if is_call else under * (1 - otm_pct)
        strike = max(step, round(raw / step) * step)
        days = max((expiry - ts.astimezone(NY).date()).days, 0) + 1
        intrinsic = max(0.0, under - strike) if is_call else max(0.0, strike - under)
        time_value = under * p.daily_vol * math.sqrt(days) * 0.4
        option_price = round(max(0.05, intrinsic + time_value), 2)
        size = int(math.exp(rng.uniform(math.log(40), math.log(4000))))
        oi = int(size * math.exp(rng.uniform(-1.5, 2.5)))
        volume = size + int(size * rng.uniform(0.2, 3.0))
        sweep = rng.random() < 0.35
        floor = not sweep and rng.random() < 0.08
        rule = "FloorTradeLargeCap" if floor else rng.choice(ALERT_RULES[:3])
        if sweep and rng.random() < 0.2:
            rule = "SweepsFollowedByFloor"
        return FlowAlert(ts, p.symbol, is_call, ask_side, strike, expiry, option_price, size, volume, oi,
                         rng.randint(2, 60), sweep, floor, rule, under)

    def flow_alerts(self, symbol: str, day: date) -> tuple[FlowAlert, ...]:
        return self._alerts(symbol.upper(), day)

    def alerts_until(self, symbol: str, ts: datetime) -> list[FlowAlert]:
        """The alerts of the data session up to ts (oldest first)."""
        s = data_session(ts)
        if s is None:
            return []
        alerts = self.flow_alerts(symbol, s.day)
        return list(alerts[: bisect_right([a.ts for a in alerts], ts)])

    def _all_alerts(self, day: date) -> tuple[tuple[FlowAlert, ...], tuple[float, ...]]:
        merged = sorted((a for sym in self._universe for a in self.flow_alerts(sym, day)), key=lambda a: a.ts)
        return tuple(merged), tuple(a.ts.timestamp() for a in merged)

    def market_alerts(self, ts: datetime, lookback_sessions: int = 1) -> list[FlowAlert]:
        """Universe-wide alerts up to ts, newest first, from the data session and those before it."""
        s = data_session(ts)
        if s is None:
            return []
        days = [s.day] + [p.day for p in previous_sessions(s.day, lookback_sessions)]
        out: list[FlowAlert] = []
        for d in days:
            alerts, stamps = self._market_alerts(d)
            out.extend(reversed(alerts[: bisect_right(stamps, ts.timestamp())]))
        return out

    # ----- dark pool -------------------------------------------------------------------------
    def _darkpool(self, symbol: str, day: date) -> tuple[DarkPoolPrint, ...]:
        s = session_of(day)
        if s is None:
            return ()
        p = self.profile(symbol)
        rng = random.Random(f"dp:{self.seed}:{symbol}:{day.isoformat()}")
        count = max(0, int(rng.gauss(30.0 * p.activity, 4.0)))
        start, end = s.open - timedelta(minutes=90), s.close + timedelta(minutes=60)
        out = []
        for i in range(count):
            ts = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))
            bid, ask = self.spread(symbol, ts)
            price = round(rng.uniform(bid, ask), 4)
            size = int(math.exp(rng.uniform(math.log(100), math.log(250_000 / max(price, 1) * 10))))
            tracking = int(_unit_hash(self.seed, symbol, day.isoformat(), i) * 1e14)
            out.append(DarkPoolPrint(ts, symbol, price, size, bid, ask, tracking, not (s.open <= ts < s.close)))
        out.sort(key=lambda d: d.ts)
        return tuple(out)

    def darkpool_until(self, symbol: str, ts: datetime) -> list[DarkPoolPrint]:
        """Dark-pool prints of the data session up to ts (oldest first)."""
        s = data_session(ts)
        if s is None:
            return []
        prints = self._prints(symbol.upper(), s.day)
        return list(prints[: bisect_right([d.ts for d in prints], ts)])


@lru_cache(maxsize=8)
def _shared_model(seed: int, universe_size: int) -> MarketModel:
    return MarketModel(seed, universe_size)
