"""Signal performance and advisory weight recommendations (4.20.10).

Signals are the `signals[]` names the engines already write into the master trade log, grouped
into families for a second table. Recommendations are advice for a human: nothing here reads
or writes a weight or a config file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from src.telemetry.families import family_of
from src.telemetry.models import Recommendation, SignalPerformance, SignalRow, SignalWeightRecommendations
from src.telemetry.perf import Codes, PerfAcc, PerfColumns, ratio, rnd
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


SOURCE_FLAG = {"live": 1, "shadow": 2}
PLAN_CACHE = 4096  # distinct signal sets remembered; a day has a handful


def _row(name: str, family: str, a: _SignalAcc) -> SignalRow:
    s = a.perf.stats()
    return SignalRow(signal=name, family=family, trade_count=s.trade_count, live_trade_count=a.live,
                     shadow_trade_count=a.shadow, win_rate=s.win_rate, total_pnl_usd=s.total_pnl_usd,
                     avg_pnl_usd=s.avg_pnl_usd, avg_win_usd=s.avg_win_usd, avg_loss_usd=s.avg_loss_usd,
                     expectancy_usd=s.expectancy_usd)


class SignalBuilder:
    """Per signal and per signal family, fed one trade at a time and folded at the end (PerfColumns)."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.trades = 0
        self.signals, self.families = Codes(), Codes()
        self.sig_cols, self.fam_cols = PerfColumns(), PerfColumns()
        self._plans: dict[tuple[str, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def _plan(self, signals: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        plan = self._plans.get(signals)
        if plan is None:
            plan = (tuple(self.signals.code(s) for s in signals),
                    tuple(self.families.code(f) for f in sorted({family_of(s) for s in signals})))
            if len(self._plans) < PLAN_CACHE:
                self._plans[signals] = plan
        return plan

    def add(self, t: Trade) -> None:
        self.trades += 1
        sig_codes, fam_codes = self._plan(t.signals)
        flag = SOURCE_FLAG.get(t.source, 0)
        self.sig_cols.add_each(sig_codes, t.pnl, flag)
        self.fam_cols.add_each(fam_codes, t.pnl, flag)

    @staticmethod
    def _accs(codes: Codes, cols: PerfColumns) -> dict[str, _SignalAcc]:
        n = len(codes)
        perf, live, shadow = cols.fold(n), cols.flag_counts(n, 1), cols.flag_counts(n, 2)
        return {name: _SignalAcc(perf[c], live[c], shadow[c]) for name, c in codes.items()}

    def result(self) -> SignalPerformance:
        signals, families = self._accs(self.signals, self.sig_cols), self._accs(self.families, self.fam_cols)
        return SignalPerformance(
            day=self.day, trade_count=self.trades,
            signals=[_row(s, family_of(s), signals[s]) for s in sorted(signals)],
            families=[_row(f, f, families[f]) for f in sorted(families)],
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
