"""Equalizer-ready feature structures (4.20.5) and the feature family summary.

Shadow trades are stored column-wise (compact `array`s, one append per feature value) and
summarised with numpy at the end: quantile curves need every value anyway, and a million
trades with a handful of features each then costs tens of MB, not gigabytes of Python objects.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

from src.telemetry.families import family_of, rules_table
from src.telemetry.models import (
    CurveBin,
    FamilyRow,
    FeatureCurve,
    FeatureEqualizerBuilder,
    FeatureFamilySummary,
    FeatureStats,
    FeatureSummary,
    FeatureValueCurves,
    GroupPerf,
    MatrixCell,
    RegimeSectorFeatureMatrix,
)
from src.telemetry.perf import Codes, PerfColumns, ratio, rnd
from src.telemetry.readers import Trade
from src.telemetry.signals import PLAN_CACHE, SOURCE_FLAG

SIDE_CODE = {"long": 1, "short": -1}
CURVE_BINS = 5


class FeatureColumns:
    """Column store of shadow trades: per-trade outcome columns plus per-feature (row, value) pairs."""

    def __init__(self) -> None:
        self.pnl = array("d")
        self.side = array("b")
        self.regime = array("i")
        self.sector = array("i")
        self.regimes: dict[str, int] = {}
        self.sectors: dict[str, int] = {}
        self.rows: dict[str, array] = {}
        self.values: dict[str, array] = {}

    def __len__(self) -> int:
        return len(self.pnl)

    def add(self, t: Trade) -> None:
        i = len(self.pnl)
        self.pnl.append(t.pnl)
        self.side.append(SIDE_CODE.get(t.side, 0))
        self.regime.append(self.regimes.setdefault(t.regime, len(self.regimes)))
        self.sector.append(self.sectors.setdefault(t.sector, len(self.sectors)))
        for name, value in t.features.items():
            rows = self.rows.get(name)
            if rows is None:
                rows = self.rows[name] = array("i")
                self.values[name] = array("d")
            rows.append(i)
            self.values[name].append(value)


def _np():  # numpy comes with matplotlib; imported lazily so importing this module stays cheap
    import numpy as np

    return np


def _stats(x, y) -> FeatureStats:  # type: ignore[no-untyped-def]
    np = _np()
    n = int(x.size)
    if n == 0:
        return FeatureStats(count=0, total_pnl_usd=0.0, avg_pnl_usd=0.0, win_rate=0.0, mean_value=None,
                            value_pnl_correlation=None)
    corr = None
    if n >= 2 and float(np.std(x)) > 0 and float(np.std(y)) > 0:
        corr = rnd(float(np.corrcoef(x, y)[0, 1]))
    total = float(y.sum())
    return FeatureStats(count=n, total_pnl_usd=rnd(total), avg_pnl_usd=ratio(total, n),
                        win_rate=ratio(int((y > 0).sum()), n), mean_value=rnd(float(x.mean())),
                        value_pnl_correlation=corr)


def _columns(cols: FeatureColumns, name: str):  # type: ignore[no-untyped-def]
    np = _np()
    idx = np.frombuffer(cols.rows[name], dtype=np.int32)
    vals = np.frombuffer(cols.values[name], dtype=np.float64)
    return idx, vals


def build_equalizer(day: str, cols: FeatureColumns) -> FeatureEqualizerBuilder:
    np = _np()
    pnl = np.frombuffer(cols.pnl, dtype=np.float64)
    side = np.frombuffer(cols.side, dtype=np.int8)
    out = []
    for name in sorted(cols.rows):
        idx, x = _columns(cols, name)
        y, s = pnl[idx], side[idx]
        out.append(FeatureSummary(feature=name, family=family_of(name), overall=_stats(x, y),
                                  long=_stats(x[s == 1], y[s == 1]), short=_stats(x[s == -1], y[s == -1])))
    return FeatureEqualizerBuilder(day=day, source="v2 shadow exits (master_trade_log source=shadow)",
                                   trade_count=len(cols), features=out)


def build_value_curves(day: str, cols: FeatureColumns, bins: int = CURVE_BINS) -> FeatureValueCurves:
    """Quantile bins per feature; tied edges collapse so a constant feature gives one bin."""
    np = _np()
    pnl = np.frombuffer(cols.pnl, dtype=np.float64)
    curves = []
    for name in sorted(cols.rows):
        idx, x = _columns(cols, name)
        y = pnl[idx]
        edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1))) if x.size else np.array([])
        out_bins: list[CurveBin] = []
        if edges.size:
            which = np.searchsorted(edges[1:-1], x, side="right") if edges.size > 2 else np.zeros(x.size, dtype=int)
            nbins = max(edges.size - 1, 1)
            for b in range(nbins):
                m = which == b
                n = int(m.sum())
                lo = float(edges[b])
                hi = float(edges[b + 1]) if edges.size > 1 else lo
                if n == 0:
                    continue
                yb = y[m]
                out_bins.append(CurveBin(bin_index=b, lower=rnd(lo), upper=rnd(hi), count=n,
                                         mean_value=rnd(float(x[m].mean())), avg_pnl_usd=ratio(float(yb.sum()), n),
                                         win_rate=ratio(int((yb > 0).sum()), n)))
        curves.append(FeatureCurve(feature=name, family=family_of(name), count=int(x.size), bins=out_bins))
    return FeatureValueCurves(day=day, method=f"quantile ({bins} bins, equal-count edges; tied edges merged)",
                              bins_requested=bins, curves=curves)


def _group_perf(names: dict[str, int], codes, pnl) -> list[GroupPerf]:  # type: ignore[no-untyped-def]
    out = []
    for key, code in sorted(names.items()):
        y = pnl[codes == code]
        out.append(GroupPerf(key=key, trade_count=int(y.size), total_pnl_usd=rnd(float(y.sum())),
                             win_rate=ratio(int((y > 0).sum()), int(y.size))))
    return out


def build_matrix(day: str, cols: FeatureColumns) -> RegimeSectorFeatureMatrix:
    np = _np()
    pnl = np.frombuffer(cols.pnl, dtype=np.float64)
    regime = np.frombuffer(cols.regime, dtype=np.int32)
    sector = np.frombuffer(cols.sector, dtype=np.int32)
    regime_names = {v: k for k, v in cols.regimes.items()}
    sector_names = {v: k for k, v in cols.sectors.items()}
    width = max(len(cols.sectors), 1)
    cells = []
    for name in sorted(cols.rows):
        idx, x = _columns(cols, name)
        y = pnl[idx]
        key = regime[idx].astype(np.int64) * width + sector[idx]
        uniq, inv = np.unique(key, return_inverse=True)
        counts = np.bincount(inv)
        vsum = np.bincount(inv, weights=x)
        psum = np.bincount(inv, weights=y)
        wins = np.bincount(inv, weights=(y > 0).astype(np.float64))
        for j, k in enumerate(uniq.tolist()):
            n = int(counts[j])
            cells.append(MatrixCell(regime=regime_names[k // width], sector=sector_names[k % width], feature=name,
                                    count=n, mean_value=ratio(float(vsum[j]), n), avg_pnl_usd=ratio(float(psum[j]), n),
                                    win_rate=ratio(float(wins[j]), n)))
    cells.sort(key=lambda c: (c.regime, c.sector, c.feature))
    return RegimeSectorFeatureMatrix(
        day=day, regimes=sorted(cols.regimes), sectors=sorted(cols.sectors), features=sorted(cols.rows), cells=cells,
        by_regime=_group_perf(cols.regimes, regime, pnl), by_sector=_group_perf(cols.sectors, sector, pnl),
    )


class FamilyBuilder:
    """Per family: the day's trades (live and shadow) that carried any feature of that family."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.codes = Codes()
        self.cols = PerfColumns()
        self.features: dict[str, set[str]] = {}
        self._plans: dict[tuple[str, ...], tuple[int, ...]] = {}

    def _plan(self, names: tuple[str, ...]) -> tuple[int, ...]:
        plan = self._plans.get(names)
        if plan is None:
            fams: set[str] = set()
            for name in names:
                fam = family_of(name)
                fams.add(fam)
                self.features.setdefault(fam, set()).add(name)
            plan = tuple(self.codes.code(f) for f in sorted(fams))
            if len(self._plans) < PLAN_CACHE:
                self._plans[names] = plan
        return plan

    def add(self, t: Trade) -> None:
        self.cols.add_each(self._plan(tuple(t.features)), t.pnl, SOURCE_FLAG.get(t.source, 0))

    def result(self) -> FeatureFamilySummary:
        n = len(self.codes)
        accs, live, shadow = self.cols.fold(n), self.cols.flag_counts(n, 1), self.cols.flag_counts(n, 2)
        rows = []
        for fam in sorted(self.codes):
            c = self.codes[fam]
            acc = accs[c]
            rows.append(FamilyRow(family=fam, features=sorted(self.features.get(fam, ())), trade_count=acc.n,
                                  live_trade_count=live[c], shadow_trade_count=shadow[c],
                                  total_pnl_usd=rnd(acc.total), avg_pnl_usd=ratio(acc.total, acc.n),
                                  win_rate=acc.win_rate))
        return FeatureFamilySummary(day=self.day, families=rows, family_rules=rules_table())


def columns_of(trades: Iterable[Trade]) -> FeatureColumns:
    cols = FeatureColumns()
    for t in trades:
        cols.add(t)
    return cols
