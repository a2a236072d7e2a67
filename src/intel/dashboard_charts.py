"""PNG charts for the intel dashboard, drawn headless (Agg) and only when there is data."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)  # a worker has no display; selected here, never at import
    import matplotlib.pyplot as plt

    return plt


def score_scatter(points: list[tuple[str, float, float]], out: Path) -> Path | None:
    """v1 vs v2 score per symbol; points above the diagonal were lifted by intel."""
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 6), dpi=90)
    try:
        xs, ys = [p[1] for p in points], [p[2] for p in points]
        ax.scatter(xs, ys, s=18, alpha=0.7)
        hi = max(max(xs), max(ys), 1.0)
        ax.plot([0, hi], [0, hi], linestyle="--", linewidth=1, color="gray")
        for sym, x, y in sorted(points, key=lambda p: -abs(p[2] - p[1]))[:8]:
            ax.annotate(sym, (x, y), fontsize=7)
        ax.set_xlabel("v1 score")
        ax.set_ylabel("v2 score (shadow)")
        ax.set_title("Composite v2 vs v1 (latest per symbol)")
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out


def bar_chart(labels: list[str], values: list[float], title: str, xlabel: str, out: Path) -> Path | None:
    """Horizontal bars; negative values in a second colour so the sign reads at a glance."""
    if not labels:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.35 * len(labels) + 1)), dpi=90)
    try:
        colors = ["tab:green" if v >= 0 else "tab:red" for v in values]
        ax.barh(labels, values, color=colors)
        ax.axvline(0, color="gray", linewidth=0.8)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.invert_yaxis()
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out
