"""Signal performance and advisory weight recommendations (4.20.10).

Signals are the `signals[]` names the engines already write into the master trade log, grouped
into families for a second table. Recommendations are advice for a human: nothing here reads
or writes a weight or a config file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from src.telemetry.families import family_of
from src.telemetry.models import Recommendation, SignalPerformance, SignalRow, SignalWeightRecommendations
from src.telemetry.perf import PerfAcc, ratio, rnd
from src.telemetry.readers import Trade

MIN_TRADES = 5
STEP_UP = 1.1
STEP_DOWN = 0.9
CONFIDENCE_FULL_AT = 30


@dataclass(slots=True)
class _SignalAcc:
    perf: PerfAcc = field(default_factory=PerfAcc)
    live: int = 0
    shadow: int = 0

    def add(self, t: Trade) -> None:
        self.perf.add(t.pnl)
        if t.source == "live":
            self.live += 1
        elif t.source == "shadow":
            self.shadow += 1


def _row(name: str, family: str, a: _SignalAcc) -> SignalRow:
    s = a.perf.stats()
    return SignalRow(signal=name, family=family, trade_count=s.trade_count, live_trade_count=a.live,
                     shadow_trade_count=a.shadow, win_rate=s.win_rate, total_pnl_usd=s.total_pnl_usd,
                     avg_pnl_usd=s.avg_pnl_usd, avg_win_usd=s.avg_win_usd, avg_loss_usd=s.avg_loss_usd,
                     expectancy_usd=s.expectancy_usd)


class SignalBuilder:
    def __init__(self, day: str) -> None:
        self.day = day
        self.trades = 0
        self.signals: dict[str, _SignalAcc] = {}
        self.families: dict[str, _SignalAcc] = {}

    def add(self, t: Trade) -> None:
        self.trades += 1
        fams = set()
        for s in t.signals:
            acc = self.signals.get(s)
            if acc is None:
                acc = self.signals[s] = _SignalAcc()
            acc.add(t)
            fams.add(family_of(s))
        for f in fams:
            acc = self.families.get(f)
            if acc is None:
                acc = self.families[f] = _SignalAcc()
            acc.add(t)

    def result(self) -> SignalPerformance:
        return SignalPerformance(
            day=self.day, trade_count=self.trades,
            signals=[_row(s, family_of(s), self.signals[s]) for s in sorted(self.signals)],
            families=[_row(f, f, self.families[f]) for f in sorted(self.families)],
        )


def recommend(row: SignalRow) -> Recommendation:
    """Nudge up a signal whose trades both win more often than not and earn on average; down the reverse."""
    n = row.trade_count
    conf = ratio(min(n, CONFIDENCE_FULL_AT), CONFIDENCE_FULL_AT)
    if n < MIN_TRADES:
        rec, mult, why = "insufficient_data", 1.0, f"{n} trade(s) < {MIN_TRADES}: no advice"
    elif row.expectancy_usd > 0 and row.win_rate >= 0.5:
        rec, mult, why = "increase", STEP_UP, f"expectancy {row.expectancy_usd:+.2f} USD, win rate {row.win_rate:.0%}"
    elif row.expectancy_usd < 0 and row.win_rate < 0.5:
        rec, mult, why = "decrease", STEP_DOWN, f"expectancy {row.expectancy_usd:+.2f} USD, win rate {row.win_rate:.0%}"
    else:
        rec, mult, why = "hold", 1.0, f"mixed evidence: expectancy {row.expectancy_usd:+.2f} USD, win rate {row.win_rate:.0%}"
    return Recommendation(signal=row.signal, family=row.family, trade_count=n, expectancy_usd=row.expectancy_usd,
                          win_rate=row.win_rate, recommendation=rec, suggested_multiplier=rnd(mult), confidence=conf,
                          rationale=why)


def build_recommendations(perf: SignalPerformance) -> SignalWeightRecommendations:
    return SignalWeightRecommendations(
        day=perf.day, advisory_only=True, applied=False,
        method=(f"per signal over the day's closed trades: increase (x{STEP_UP}) when expectancy > 0 and win rate >= 50%, "
                f"decrease (x{STEP_DOWN}) when expectancy < 0 and win rate < 50%, else hold; "
                f"fewer than {MIN_TRADES} trades -> insufficient_data; never applied automatically"),
        min_trades=MIN_TRADES,
        recommendations=[recommend(r) for r in perf.signals],
    )
