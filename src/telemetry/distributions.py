"""Score distributions (v1 vs v2) and the day's regime timeline.

Histograms use fixed-width bins keyed by floor(score / width), so they stream in constant
memory and the same scores always land in the same bins.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from src.core.state import LoadStatus, inspect_state
from src.telemetry.models import HistBin, RegimeSegment, RegimeTimeline, ScoreCurve, ScoreDistributionCurves
from src.telemetry.perf import rnd
from src.telemetry.readers import iso, parse_ts, to_float

BIN_WIDTH = 0.5
MAX_SEGMENTS = 500  # a flapping detector must not turn the timeline into a copy of the log
CURVE_NAMES = ("v1_attribution_entries", "v2_shadow_decisions", "v2_shadow_entries", "v1_score_in_shadow_decisions")


class Histogram:
    __slots__ = ("bins", "n", "total", "lo", "hi")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.n = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = -math.inf

    def add(self, x: float | None) -> None:
        if x is None:
            return
        k = math.floor(x / BIN_WIDTH)
        self.bins[k] = self.bins.get(k, 0) + 1
        self.n += 1
        self.total += x
        if x < self.lo:
            self.lo = x
        if x > self.hi:
            self.hi = x

    def curve(self, name: str) -> ScoreCurve:
        return ScoreCurve(
            name=name, count=self.n, mean=rnd(self.total / self.n) if self.n else None,
            min=rnd(self.lo) if self.n else None, max=rnd(self.hi) if self.n else None,
            bins=[HistBin(lower=rnd(k * BIN_WIDTH), upper=rnd((k + 1) * BIN_WIDTH), count=c)
                  for k, c in sorted(self.bins.items())],
        )


class ScoreCurvesBuilder:
    def __init__(self, day: str) -> None:
        self.day = day
        self.hists = {n: Histogram() for n in CURVE_NAMES}

    def result(self) -> ScoreDistributionCurves:
        return ScoreDistributionCurves(day=self.day, bin_width=BIN_WIDTH,
                                       curves=[self.hists[n].curve(n) for n in CURVE_NAMES])


class RegimeStateView(BaseModel):
    """Just the fields of state/regime_state.json the timeline shows; its owner defines the rest."""

    model_config = ConfigDict(extra="ignore")
    regime: str = "unknown"
    confidence: float | None = None
    as_of: str | float | None = None


class RegimeTimelineBuilder:
    """Regime observations (shadow decisions carry the regime they scored under) folded into runs."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.obs: list[tuple[float, str]] = []

    def add(self, ts: float, regime: str) -> None:
        if regime:
            self.obs.append((ts, regime))

    def result(self, regime_state_path: Path | None) -> RegimeTimeline:
        """Runs of equal regime in time order; only the first MAX_SEGMENTS become models (a flapping
        detector can make one run per observation), the rest are only counted."""
        self.obs.sort()
        segments: list[RegimeSegment] = []
        runs = 0
        counts: dict[str, int] = {}
        cur: list = []  # [regime, start, end, n]

        def close() -> None:
            nonlocal runs
            runs += 1
            if len(segments) < MAX_SEGMENTS:
                segments.append(RegimeSegment(regime=cur[0], start_ts=iso(cur[1]), end_ts=iso(cur[2]),
                                              observations=cur[3]))

        for ts, regime in self.obs:
            counts[regime] = counts.get(regime, 0) + 1
            if cur and cur[0] == regime:
                cur[2], cur[3] = ts, cur[3] + 1
                continue
            if cur:
                close()
            cur = [regime, ts, ts, 1]
        if cur:
            close()
        return RegimeTimeline(day=self.day, current_state=read_regime_state(regime_state_path),
                              segments=segments, segments_truncated=runs > MAX_SEGMENTS,
                              observations_by_regime=dict(sorted(counts.items())),
                              transitions=max(runs - 1, 0))


def read_regime_state(path: Path | None) -> dict[str, str | float | None]:
    """Read without healing: telemetry never rewrites a state file it does not own."""
    if path is None:
        return {"regime": None, "confidence": None, "as_of": None, "status": "missing"}
    res = inspect_state(path, RegimeStateView)
    if res.status is not LoadStatus.ok or res.value is None:
        return {"regime": None, "confidence": None, "as_of": None, "status": res.status.value}
    v = res.value
    as_of = v.as_of if isinstance(v.as_of, str) else iso(parse_ts(v.as_of))
    return {"regime": v.regime, "confidence": rnd(to_float(v.confidence)), "as_of": as_of, "status": "ok"}
