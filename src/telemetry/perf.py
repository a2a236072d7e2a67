"""Trade outcome statistics: long/short asymmetry (4.20.4) and live vs shadow windows (4.20.9).

Accumulators take one `Trade` at a time so the bundle can feed them while streaming the log;
the `build_*` functions wrap them for callers that already hold a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def merged(accs: Iterable[PerfAcc]) -> PerfAcc:
    out = PerfAcc()
    for a in accs:
        out = out.merge(a)
    return out


class LongShortBuilder:
    """Day's closed trades, split by side and by source (live v1 / shadow v2)."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.acc: dict[tuple[str, str], PerfAcc] = {}

    def add(self, t: Trade) -> None:
        key = (t.source, t.side)
        acc = self.acc.get(key)
        if acc is None:
            acc = self.acc[key] = PerfAcc()
        acc.add(t.pnl)

    def _side(self, sources: tuple[str, ...] | None, side: str | None) -> PerfAcc:
        keys = sorted(k for k in self.acc if (sources is None or k[0] in sources) and (side is None or k[1] == side))
        return merged(self.acc[k] for k in keys)

    def _breakdown(self, sources: tuple[str, ...] | None) -> SideBreakdown:
        return SideBreakdown(overall=self._side(sources, None).stats(), long_only=self._side(sources, "long").stats(),
                             short_only=self._side(sources, "short").stats())

    def result(self) -> LongShortAnalysis:
        total = self._breakdown(None)
        unknown_side = self._side(None, "unknown").n
        unknown_source = self._side(("unknown",), None).n
        return LongShortAnalysis(
            day=self.day,
            overall=total.overall,
            long_only=total.long_only,
            short_only=total.short_only,
            by_source={s: self._breakdown((s,)) for s in SOURCES},
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
    """Rolling windows ending at the day's close; a trade belongs to a window by its exit time."""

    def __init__(self, window: DayWindow) -> None:
        self.window = window
        self.earliest = window.close - max(WINDOW_SECONDS.values())
        self.acc: dict[tuple[str, str], PerfAcc] = {(w, s): PerfAcc() for w in WINDOWS for s in SOURCES}
        self.sym: dict[tuple[str, str, str], PerfAcc] = {}

    def wants(self, exit_ts: float | None) -> bool:
        return exit_ts is not None and self.earliest < exit_ts <= self.window.close

    def add(self, t: Trade) -> None:
        if t.source not in SOURCES or not self.wants(t.exit_ts):
            return
        age = self.window.close - t.exit_ts  # type: ignore[operator]
        for w in WINDOWS:
            if age < WINDOW_SECONDS[w]:
                self.acc[(w, t.source)].add(t.pnl)
                key = (w, t.symbol, t.source)
                acc = self.sym.get(key)
                if acc is None:
                    acc = self.sym[key] = PerfAcc()
                acc.add(t.pnl)

    def _window(self, w: str) -> WindowBlock:
        live, shadow = self.acc[(w, "live")].block(), self.acc[(w, "shadow")].block()
        delta = PnlBlock(
            pnl_usd=rnd(shadow.pnl_usd - live.pnl_usd),
            expectancy_usd=rnd(shadow.expectancy_usd - live.expectancy_usd),
            trade_count=shadow.trade_count - live.trade_count,
            win_rate=rnd(shadow.win_rate - live.win_rate),
        )
        return WindowBlock(start_utc=iso(self.window.close - WINDOW_SECONDS[w]), end_utc=iso(self.window.close),
                           live=live, shadow=shadow, delta=delta)

    def result(self) -> LiveVsShadowPnl:
        rows = []
        for w in WINDOWS:
            symbols = sorted({k[1] for k in self.sym if k[0] == w})
            for s in symbols:
                live = self.sym.get((w, s, "live")) or PerfAcc()
                shadow = self.sym.get((w, s, "shadow")) or PerfAcc()
                rows.append(SymbolWindowRow(
                    symbol=s, window=w, live_pnl_usd=rnd(live.total), shadow_pnl_usd=rnd(shadow.total),
                    delta_pnl_usd=rnd(shadow.total - live.total), live_trade_count=live.n, shadow_trade_count=shadow.n,
                ))
        return LiveVsShadowPnl(
            day=self.window.day,
            window_end_utc=iso(self.window.close),
            delta_definition="shadow minus live (positive = v2 shadow did better)",
            windows=Windows.model_validate({w: self._window(w) for w in WINDOWS}),
            per_symbol=rows,
        )


def build_live_vs_shadow(window: DayWindow, trades: Iterable[Trade]) -> LiveVsShadowPnl:
    b = LiveVsShadowBuilder(window)
    for t in trades:
        b.add(t)
    return b.result()
