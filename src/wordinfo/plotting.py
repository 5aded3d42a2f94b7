"""Matplotlib figures of an Explanation."""

from __future__ import annotations

import numpy as np

from . import values


def heatmap(exp, i: int = 0, value: str = "log_sigma_centered", ax=None, annotate: bool | None = None):
    """Words as columns, layers as rows; special tokens in grey labels."""

    if ax is None:
        import matplotlib.pyplot as plt
        words = exp.words(i)
        _, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(words) + 2), 0.45 * len(exp.layers) + 2))
    data = exp.word_values(value, i)
    cmap = "RdBu_r" if value == "log_sigma_centered" else "viridis"
    lim = np.nanmax(np.abs(data)) if value == "log_sigma_centered" else None
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=-lim if lim else None, vmax=lim)
    words = exp.words(i)
    ax.set_xticks(range(len(words)), words, rotation=45, ha="right")
    for label, special in zip(ax.get_xticklabels(), exp.word_maps[i].special):
        if special:
            label.set_color("grey")
    ax.set_yticks(range(len(exp.layers)), exp.layers)
    ax.set_ylabel("layer" if exp.target != "logits" else "")
    ax.set_title(f"{exp.model} - {exp.target}", fontsize=9)
    if annotate if annotate is not None else data.size <= 300:
        for (r, c), v in np.ndenumerate(data):
            color = "black" if value == "log_sigma_centered" else "white"
            ax.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=6, color=color)
    ax.figure.colorbar(im, ax=ax, label=values.label(value), shrink=0.9)
    ax.figure.tight_layout()
    return ax
