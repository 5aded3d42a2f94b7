"""Paper figures: next to the report (``--png DIR``), the per-layer curves and a few sentence heatmaps; and
information over training (:func:`epoch_figure`), the probe runs' mean per layer against epoch.

Drawn with matplotlib from the report's context (the curves), the sources' explanations
(the heatmaps) and :func:`wordinfo.summary.epoch_table` (over training); each file is
written atomically.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import WordinfoError
from ..files import write_atomic
from .style import COLORS, axis_label

HEATMAPS_PER_RUN = 3


def figure_format(fmt: str) -> str:
    """png, svg or pdf (any case); else one line, before any work."""
    if str(fmt).lower() not in ("png", "svg", "pdf"):
        raise WordinfoError(f"unknown figure format {fmt!r}: use png, svg or pdf")
    return str(fmt).lower()


def write_figures(ws, context: dict, folder: Path, fmt: str = "png", value: str = "kept") -> list[Path]:
    """``curves.<fmt>`` (one panel per run, shared y axis) and ``heatmap-<run>-<sentence>.<fmt>``."""
    fmt = figure_format(fmt)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    panels = context["curves"]["panels"]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.6, 3.4), sharey=True, squeeze=False)
        for ax, panel in zip(axes[0], panels):
            for cat, line in panel["lines"].items():
                pts = line["points"]
                ax.plot([p["layer"] for p in pts], [p["v"] for p in pts], marker="o", ms=3.5, color=COLORS[cat],
                        lw=2.4 if cat == "all words" else 1.5, ls="--" if cat == "all words" else "-", label=cat)
            ax.set_title(panel["run"], fontsize=10)
            ax.set_xlabel("layer")
            ax.set_xticks([t["label"] for t in panel["xticks"]])
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel(axis_label(value))
        axes[0][-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        fig.tight_layout()
        path = folder / f"curves.{fmt}"
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=200, format=fmt))
        plt.close(fig)
        written.append(path)
    for src in ws.sources:
        ids = [s["id"] for s in context["sentences"] if src.name in s["runs"]][:HEATMAPS_PER_RUN]
        if not ids:
            continue
        exp = src.explanation(ids)
        for i, sid in enumerate(ids):
            ax = exp.plot(i=i)
            path = folder / f"heatmap-{_safe(src.name)}-{sid}.{fmt}"
            write_atomic(path, lambda tmp, fig=ax.figure: fig.savefig(tmp, dpi=200, format=fmt))
            plt.close(ax.figure)
            written.append(path)
    return written


def epoch_figure(source, value: str = "kept", path: str | Path | None = None, title: str | None = None):
    """Mean ``value`` per word (kept bits by default) of each layer against epoch: one panel per series (a
    training's probe runs), one line per layer, error bars of one standard error over the words.

    ``source``: a table of :func:`wordinfo.summary.epoch_table`, or what it takes (probe run directories,
    their folder, a Workspace). ``path``: also write the figure there (png, svg or pdf, by its suffix).
    Returns the matplotlib Figure."""
    import pandas as pd

    from ..summary.tables import epoch_table
    from .style import corpus_value
    fmt = None if path is None else Path(path).suffix.lower().lstrip(".")
    if fmt is not None and fmt not in ("png", "svg", "pdf"):
        raise WordinfoError(f"cannot tell the figure format of {Path(path).name}: end its name in .png, .svg or .pdf")
    table = source if isinstance(source, pd.DataFrame) else epoch_table(source, value=value)
    value = corpus_value(value).name
    if table.empty or value not in table:
        raise WordinfoError(f"no {value} per epoch to draw: give probe runs, or an epoch_table(value={value!r})")
    import matplotlib.pyplot as plt
    series = list(dict.fromkeys(table["series"]))
    fig, axes = plt.subplots(1, len(series), figsize=(4.2 * len(series) + 1.4, 3.4), sharey=True, squeeze=False)
    layers = sorted(table["layer"].unique())
    cmap = plt.get_cmap("viridis")
    for ax, name in zip(axes[0], series):
        rows = table[table["series"] == name]
        for i, layer in enumerate(layers):
            line = rows[rows["layer"] == layer].sort_values("epoch")
            if not line.empty:
                ax.errorbar(line["epoch"], line[value], yerr=line[f"{value}_se"], marker="o", ms=3.5, capsize=2.5,
                            lw=1.5, color=cmap(0.85 * i / max(len(layers) - 1, 1)), label=f"layer {layer}")
        ax.set_title(name if title is None or len(series) > 1 else title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_xticks(sorted(rows["epoch"].unique()))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(axis_label(value))
    axes[0][-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    if title is not None and len(series) > 1:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=200, format=fmt))
    return fig


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
