"""Trade outcome statistics: long/short asymmetry (4.20.4) and live vs shadow windows (4.20.9).

Accumulators take one `Trade` at a time so the bundle can feed them while streaming the log;
the `build_*` functions wrap them for callers that already hold a list.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from src.telemetry.models import (
    WINDOWS,
    LiveVsShadowPnl,
    LongShortAnalysis,
    PerfStats,
    PnlBlock,
    SideBreakdown,
    SymbolWindowRow,
    WindowBlock,
    Windows,
)
from src.telemetry.readers import DayWindow, Trade, iso

WINDOW_SECONDS: dict[str, float] = {"24h": 86_400.0, "48h": 172_800.0, "5d": 432_000.0}
SOURCES = ("live", "shadow")
DIGITS = 6


def rnd(x: float | None) -> float | None:
    """Fixed rounding so float noise never breaks byte-identical reruns."""
    if x is None:
        return None
    r = round(float(x), DIGITS)
    return 0.0 if r == 0 else r  # no "-0.0" in files


def ratio(num: float, den: float) -> float:
    return rnd(num / den) if den else 0.0  # type: ignore[return-value]


@dataclass(slots=True)
class PerfAcc:
    """Win/loss counters; a zero-PnL trade counts as a trade but neither a win nor a loss."""

    n: int = 0
    wins: int = 0
    losses: int = 0
    total: float = 0.0
    win_sum: float = 0.0
    loss_sum: float = 0.0

    def add(self, pnl: float) -> None:
        self.n += 1
        self.total += pnl
        if pnl > 0:
            self.wins += 1
            self.win_sum += pnl
        elif pnl < 0:
            self.losses += 1
            self.loss_sum += pnl

    def merge(self, other: PerfAcc) -> PerfAcc:
        return PerfAcc(self.n + other.n, self.wins + other.wins, self.losses + other.losses,
                       self.total + other.total, self.win_sum + other.win_sum, self.loss_sum + other.loss_sum)

    @property
    def win_rate(self) -> float:
        return ratio(self.wins, self.n)

    @property
    def expectancy(self) -> float:
        """P(win) * avg win + P(loss) * avg loss: the expected PnL of one more such trade."""
        if not self.n:
            return 0.0
        avg_win = self.win_sum / self.wins if self.wins else 0.0
        avg_loss = self.loss_sum / self.losses if self.losses else 0.0
        return rnd(self.wins / self.n * avg_win + self.losses / self.n * avg_loss)  # type: ignore[return-value]

    def stats(self) -> PerfStats:
        return PerfStats(
            trade_count=self.n,
            wins=self.wins,
            losses=self.losses,
            win_rate=self.win_rate,
            total_pnl_usd=rnd(self.total),
            avg_pnl_usd=ratio(self.total, self.n),
            avg_win_usd=ratio(self.win_sum, self.wins),
            avg_loss_usd=ratio(self.loss_sum, self.losses),
            expectancy_usd=self.expectancy,
        )

    def block(self) -> PnlBlock:
        return PnlBlock(pnl_usd=rnd(self.total), expectancy_usd=self.expectancy, trade_count=self.n,
                        win_rate=self.win_rate)


class PerfColumns:
    """Many PerfAccs fed as (key, pnl) pairs appended to compact arrays, folded once at the end.

    On a busy day every trade feeds a dozen accumulators; a method call each is most of the cost.
    np.bincount adds weights strictly in element order, so each folded sum is bit-identical to
    calling PerfAcc.add for the same trades in the same order (and byte-identical artifacts follow).
    `flags` carries one small int per pair for counts by category (e.g. live/shadow).
    """

    __slots__ = ("keys", "pnl", "flags")

    def __init__(self) -> None:
        self.keys = array("i")
        self.pnl = array("d")
        self.flags = array("b")

    def add(self, key: int, pnl: float, flag: int = 0) -> None:
        self.keys.append(key)
        self.pnl.append(pnl)
        self.flags.append(flag)

    def add_each(self, keys: tuple[int, ...], pnl: float, flag: int = 0) -> None:
        """The same trade under several keys (its signals, its families) in one call."""
        n = len(keys)
        self.keys.extend(keys)
        self.pnl.extend(repeat(pnl, n))
        self.flags.extend(repeat(flag, n))

    def arrays(self) -> tuple[Any, Any]:
        """(keys, pnl) as numpy arrays viewing the columns."""
        import numpy as np  # comes with matplotlib; imported late so importing this module stays cheap

        return np.frombuffer(self.keys, dtype=np.int32).astype(np.intp), np.frombuffer(self.pnl, dtype=np.float64)

    def fold(self, n: int) -> list[PerfAcc]:
        return fold_arrays(*self.arrays(), n)

    def flag_counts(self, n: int, flag: int) -> list[int]:
        """Per key, how many pairs carry this flag."""
        import numpy as np

        keys, _ = self.arrays()
        return [int(c) for c in np.bincount(keys[np.frombuffer(self.flags, dtype=np.int8) == flag], minlength=n)]


def fold_arrays(keys: Any, pnl: Any, n: int) -> list[PerfAcc]:
    """One PerfAcc per key 0..n-1 from parallel numpy arrays (see PerfColumns for why bincount)."""
    import numpy as np

    win, loss = pnl > 0, pnl < 0
    n_all = np.bincount(keys, minlength=n)
    total = np.bincount(keys, weights=pnl, minlength=n)
    n_win = np.bincount(keys[win], minlength=n)
    win_sum = np.bincount(keys[win], weights=pnl[win], minlength=n)
    n_loss = np.bincount(keys[loss], minlength=n)
    loss_sum = np.bincount(keys[loss], weights=pnl[loss], minlength=n)
    return [PerfAcc(int(n_all[k]), int(n_win[k]), int(n_loss[k]), float(total[k]), float(win_sum[k]),
                    float(loss_sum[k])) for k in range(n)]


class Codes(dict[str, int]):
    """Dense integer code per distinct name, in first-seen order."""

    def code(self, name: str) -> int:
        c = self.get(name)
        if c is None:
            c = self[name] = len(self)
        return c


def merged(accs: Iterable[PerfAcc]) -> PerfAcc:
    out = PerfAcc()
    for a in accs:
        out = out.merge(a)
    return out


class LongShortBuilder:
    """Day's closed trades, split by side and by source (live v1 / shadow v2)."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.codes: dict[tuple[str, str], int] = {}
        self.cols = PerfColumns()

    def add(self, t: Trade) -> None:
        key = (t.source, t.side)
        code = self.codes.get(key)
        if code is None:
            code = self.codes[key] = len(self.codes)
        self.cols.add(code, t.pnl)

    @property
    def acc(self) -> dict[tuple[str, str], PerfAcc]:
        folded = self.cols.fold(len(self.codes))
        return {key: folded[code] for key, code in self.codes.items()}

    @staticmethod
    def _side(acc: dict[tuple[str, str], PerfAcc], sources: tuple[str, ...] | None, side: str | None) -> PerfAcc:
        keys = sorted(k for k in acc if (sources is None or k[0] in sources) and (side is None or k[1] == side))
        return merged(acc[k] for k in keys)

    def _breakdown(self, acc: dict[tuple[str, str], PerfAcc], sources: tuple[str, ...] | None) -> SideBreakdown:
        return SideBreakdown(overall=self._side(acc, sources, None).stats(),
                             long_only=self._side(acc, sources, "long").stats(),
                             short_only=self._side(acc, sources, "short").stats())

    def result(self) -> LongShortAnalysis:
        acc = self.acc
        total = self._breakdown(acc, None)
        unknown_side = self._side(acc, None, "unknown").n
        unknown_source = self._side(acc, ("unknown",), None).n
        return LongShortAnalysis(
            day=self.day,
            overall=total.overall,
            long_only=total.long_only,
            short_only=total.short_only,
            by_source={s: self._breakdown(acc, (s,)) for s in SOURCES},
            notes={
                "population": "all trades in logs/master_trade_log.jsonl whose exit is on this NY trading day",
                "unknown_side_trades": unknown_side,
                "unknown_source_trades": unknown_source,
            },
        )


def build_long_short(day: str, trades: Iterable[Trade]) -> LongShortAnalysis:
    b = LongShortBuilder(day)
    for t in trades:
        b.add(t)
    return b.result()


class LiveVsShadowBuilder:
    """Rolling windows ending at the day's close; a trade belongs to a window by its exit time.

    Windows are nested (24h in 48h in 5d), so each trade is stored once with the narrowest window
    holding it; window w folds the trades whose narrowest window is w or narrower, in log order.
    """

    def __init__(self, window: DayWindow) -> None:
        self.window = window
        self.earliest = window.close - max(WINDOW_SECONDS.values())
        self.symbols = Codes()
        self.cols = PerfColumns()  # key: symbol code * 2 + source; flag: narrowest window index
        self._limits = tuple(WINDOW_SECONDS[w] for w in WINDOWS)

    def wants(self, exit_ts: float | None) -> bool:
        return exit_ts is not None and self.earliest < exit_ts <= self.window.close

    def add(self, t: Trade) -> None:
        src = t.source
        if (src != "live" and src != "shadow") or not self.wants(t.exit_ts):
            return
        age = self.window.close - t.exit_ts  # type: ignore[operator]
        for i, limit in enumerate(self._limits):
            if age < limit:
                self.cols.add(self.symbols.code(t.symbol) * 2 + (src == "shadow"), t.pnl, i)
                return

    def _fold(self) -> tuple[dict[tuple[str, str], PerfAcc], dict[tuple[str, str, str], PerfAcc]]:
        import numpy as np

        narrowest = np.frombuffer(self.cols.flags, dtype=np.int8)
        all_keys, all_pnl = self.cols.arrays()
        names = sorted(self.symbols.items(), key=lambda kv: kv[1])
        acc: dict[tuple[str, str], PerfAcc] = {}
        sym: dict[tuple[str, str, str], PerfAcc] = {}
        for i, w in enumerate(WINDOWS):
            mask = narrowest <= i
            keys, pnl = all_keys[mask], all_pnl[mask]
            acc[(w, "live")], acc[(w, "shadow")] = fold_arrays(keys % 2, pnl, 2)
            folded = fold_arrays(keys, pnl, 2 * len(names))
            for name, code in names:
                for j, src in enumerate(SOURCES):
                    a = folded[code * 2 + j]
                    if a.n:
                        sym[(w, name, src)] = a
        return acc, sym

    def _window(self, acc: dict[tuple[str, str], PerfAcc], w: str) -> WindowBlock:
        live, shadow = acc[(w, "live")].block(), acc[(w, "shadow")].block()
        delta = PnlBlock(
            pnl_usd=rnd(shadow.pnl_usd - live.pnl_usd),
            expectancy_usd=rnd(shadow.expectancy_usd - live.expectancy_usd),
            trade_count=shadow.trade_count - live.trade_count,
            win_rate=rnd(shadow.win_rate - live.win_rate),
        )
        return WindowBlock(start_utc=iso(self.window.close - WINDOW_SECONDS[w]), end_utc=iso(self.window.close),
                           live=live, shadow=shadow, delta=delta)

    def result(self) -> LiveVsShadowPnl:
        acc, sym = self._fold()
        rows = []
        for w in WINDOWS:
            symbols = sorted({k[1] for k in sym if k[0] == w})
            for s in symbols:
                live = sym.get((w, s, "live")) or PerfAcc()
                shadow = sym.get((w, s, "shadow")) or PerfAcc()
                rows.append(SymbolWindowRow(
                    symbol=s, window=w, live_pnl_usd=rnd(live.total), shadow_pnl_usd=rnd(shadow.total),
                    delta_pnl_usd=rnd(shadow.total - live.total), live_trade_count=live.n, shadow_trade_count=shadow.n,
                ))
        return LiveVsShadowPnl(
            day=self.window.day,
            window_end_utc=iso(self.window.close),
            delta_definition="shadow minus live (positive = v2 shadow did better)",
            windows=Windows.model_validate({w: self._window(acc, w) for w in WINDOWS}),
            per_symbol=rows,
        )


def build_live_vs_shadow(window: DayWindow, trades: Iterable[Trade]) -> LiveVsShadowPnl:
    b = LiveVsShadowBuilder(window)
    for t in trades:
        b.add(t)
    return b.result()
