"""The study's figures (matplotlib, written as PNG): curves against depth, bars, matrices.

Each function takes plain numbers and intervals and a path, writes the figure atomically and
returns the path; the findings decide what to draw. Depth is layer / number of layers, so
MiniLM's 6 layers, the Transformer's 4 and the LSTM's 2 share one axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..files import write_atomic


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def _figure(panels: int, width: float = 5.0, height: float = 3.6):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, panels, figsize=(width * panels, height), squeeze=False)
    return fig, list(axes[0])


def curves(path, sets: dict, ylabel: str, xlabel: str = "depth l / L", zero: bool = False) -> Path:
    """One panel per key of ``sets``; in each, one line per series ``{x: Interval}`` with its 95% interval."""
    fig, axes = _figure(max(1, len(sets)))
    for ax, (panel, series) in zip(axes, sets.items()):
        for name, points in series.items():
            xs = sorted(points)
            est = np.array([points[x].estimate for x in xs])
            lo = np.array([points[x].low for x in xs])
            hi = np.array([points[x].high for x in xs])
            line, = ax.plot(xs, est, marker="o", label=name)
            ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.18)
        if zero:
            ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(panel)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    return _save(fig, path)


def bars(path, groups: dict, ylabel: str, zero: bool = True) -> Path:
    """One panel per key of ``groups``; in each, one bar per ``{label: Interval}`` with its interval."""
    fig, axes = _figure(max(1, len(groups)))
    for ax, (panel, items) in zip(axes, groups.items()):
        labels = list(items)
        est = np.array([items[k].estimate for k in labels])
        err = np.array([[items[k].estimate - items[k].low for k in labels],
                        [items[k].high - items[k].estimate for k in labels]])
        ax.bar(range(len(labels)), est, yerr=np.clip(err, 0, None), capsize=4, color="#4c72b0")
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
        if zero:
            ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(panel)
        ax.set_ylabel(ylabel)
    return _save(fig, path)


def matrices(path, panels: dict, xlabel: str = "input position", ylabel: str = "output step") -> Path:
    """One heatmap per ``{title: 2-d array}``, each row scaled to [0, 1] (rows compare within a step)."""
    fig, axes = _figure(max(1, len(panels)), width=3.4, height=3.4)
    for ax, (title, m) in zip(axes, panels.items()):
        m = np.asarray(m, float)
        lo, hi = np.nanmin(m, 1, keepdims=True), np.nanmax(m, 1, keepdims=True)
        ax.imshow((m - lo) / np.where(hi > lo, hi - lo, 1), cmap="viridis", aspect="auto")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    return _save(fig, path)


def two_scales(path, layers: list, series: dict, ylabel: str = "per-word value (log scale)") -> Path:
    """Several per-layer quantities on one log axis: ``{name: (median, low, high) arrays over layers}``."""
    fig, axes = _figure(1, width=6.0)
    ax = axes[0]
    for name, (mid, lo, hi) in series.items():
        line, = ax.plot(layers, mid, marker="o", label=name)
        ax.fill_between(layers, lo, hi, color=line.get_color(), alpha=0.18)
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return _save(fig, path)
