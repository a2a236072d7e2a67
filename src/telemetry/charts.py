"""PNG charts for the analysis pack, drawn with matplotlib's object API on an Agg canvas.

No pyplot and no global backend switch: the figure is private to the call, so charts can be
drawn from a worker thread and importing this module touches no display and no file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from src.telemetry.models import ScoreCurve, SignalRow

SIZE = (9, 4.5)
DPI = 100


def _figure():  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _empty(ax, text: str) -> None:  # type: ignore[no-untyped-def]
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")


def equity_curves(series: dict[str, list[tuple[float, float]]], path: Path, title: str) -> Path:
    """Cumulative realized PnL per source over the day's exits."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    for source in sorted(series):
        pts = sorted(series[source])
        if not pts:
            continue
        xs, ys, total = [], [], 0.0
        for ts, pnl in pts:
            total += pnl
            xs.append(datetime.fromtimestamp(ts, UTC))
            ys.append(total)
        ax.step(xs, ys, where="post", label=f"{source} ({len(pts)} trades, {total:,.2f} USD)")
        drawn = True
    if drawn:
        ax.legend(loc="best")
        ax.axhline(0, color="grey", linewidth=0.5)
        fig.autofmt_xdate()
    else:
        _empty(ax, "no closed trades today")
    ax.set_title(title)
    ax.set_ylabel("cumulative PnL (USD)")
    return _save(fig, path)


def pnl_by_signal(rows: list[SignalRow], path: Path, title: str) -> Path:
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    rows = sorted(rows, key=lambda r: (r.total_pnl_usd, r.signal))
    if rows:
        colors = ["tab:green" if r.total_pnl_usd >= 0 else "tab:red" for r in rows]
        ax.barh([r.signal for r in rows], [r.total_pnl_usd for r in rows], color=colors)
        ax.axvline(0, color="grey", linewidth=0.5)
        ax.set_xlabel("total PnL (USD)")
    else:
        _empty(ax, "no signals on today's trades")
    ax.set_title(title)
    return _save(fig, path)


def score_distributions(curves: list[ScoreCurve], path: Path, title: str) -> Path:
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    for c in curves:
        if not c.bins:
            continue
        xs = [b.lower for b in c.bins]
        width = (c.bins[0].upper - c.bins[0].lower) if c.bins else 0.5
        ax.step(xs + [c.bins[-1].upper], [b.count for b in c.bins] + [c.bins[-1].count], where="post",
                label=f"{c.name} (n={c.count})")
        drawn = drawn or width > 0
    if drawn:
        ax.legend(loc="best")
        ax.set_xlabel("score")
        ax.set_ylabel("count")
    else:
        _empty(ax, "no scores logged today")
    ax.set_title(title)
    return _save(fig, path)
