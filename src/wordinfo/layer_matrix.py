"""What each layer keeps of each layer below it: one explanation per input layer A, summed up as a matrix.

``layer_matrix(texts, model)`` explains the texts from every layer A = 0 .. L-1 (``from_layer``)
to every layer B above it and gives ``LayerMatrix``: ``bits[A, B]`` is the mean, over the texts'
words (special tokens left out), of the bits layer B keeps about a word's state at layer A
(NaN where B <= A), with its standard error from the solver's error bars. It costs L
explanations of the texts (with fewer layers each as A rises).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import WordinfoError
from .explanation import Explanation


@dataclass
class LayerMatrix:
    model: str
    num_layers: int
    bits: np.ndarray                  # [L, L + 1]: rows from A = 0..L-1, columns to B = 0..L (B <= A: NaN)
    bits_se: np.ndarray               # the same shape: standard error of each mean (NaN where unknown)
    explanations: dict[int, Explanation] = field(default_factory=dict)

    @classmethod
    def from_explanations(cls, explanations: dict[int, Explanation]) -> "LayerMatrix":
        """The matrix of explanations by input layer A (the means: :func:`wordinfo.summary.matrix_table`)."""
        from .summary import Workspace, matrix_table
        first = explanations[min(explanations)]
        num_layers = max(int(label) for e in explanations.values() for label in e.layers)
        bits = np.full((num_layers, num_layers + 1), np.nan)
        se = np.full_like(bits, np.nan)
        with Workspace([explanations[a] for a in sorted(explanations)]) as ws:
            for r in matrix_table(ws).itertuples():
                bits[r.from_layer, r.layer], se[r.from_layer, r.layer] = r.kept, r.kept_se
        return cls(first.model, num_layers, bits, se, dict(explanations))

    def to_dict(self) -> dict:
        from .files import json_ready
        return {"model": self.model, "num_layers": self.num_layers,
                "rows": "from layer A (0 = the input)", "columns": "to layer B",
                "mean_bits_kept": json_ready(self.bits), "mean_bits_kept_se": json_ready(self.bits_se),
                "explanations": {str(a): e.to_dict() for a, e in self.explanations.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "LayerMatrix":
        """The matrix of a :meth:`to_dict` (``explain --from-layer all --json``), recomputed from its explanations."""
        from .summary.sources import matrix_explanations
        return cls.from_explanations(dict(matrix_explanations(d)))

    def save(self, path: str | Path) -> Path:
        import json

        from .files import write_text
        return write_text(path, json.dumps({**self.to_dict(), "format": "wordinfo.LayerMatrix/1"}))

    @classmethod
    def load(cls, path: str | Path) -> "LayerMatrix":
        from .files import read_json
        d = read_json(path, "layer matrix file", "give a file written by LayerMatrix.save or `wordinfo explain "
                      "--from-layer all --json`")
        if not isinstance(d, dict) or "mean_bits_kept" not in d:
            raise WordinfoError(f"{str(path)!r} is not a layer matrix (no 'mean_bits_kept'): give a file written "
                                "by LayerMatrix.save")
        return cls.from_dict(d)

    def report(self, path: str | Path, **options) -> Path:
        """A self-contained HTML report: the matrix and each A's explanations (:func:`wordinfo.report.build_report`)."""
        from .report import build_report  # notebook convenience: lazy import (docs/architecture.md)
        return build_report([self], path, **options)

    def table(self):
        """A pandas DataFrame: rows 'from A', columns 'to B'."""
        import pandas as pd
        return pd.DataFrame(self.bits[:, 1:], index=[f"from {a}" for a in range(self.num_layers)],
                            columns=[f"to {b}" for b in range(1, self.num_layers + 1)])

    def plot(self, ax=None):
        """The matrix as a heatmap (rows from, columns to)."""
        if ax is None:
            import matplotlib.pyplot as plt
            _, ax = plt.subplots(figsize=(1.0 + 0.7 * self.num_layers, 1.0 + 0.6 * self.num_layers))
        data = self.bits[:, 1:]
        im = ax.imshow(data, cmap="viridis")
        ax.set_xticks(range(self.num_layers), [str(b) for b in range(1, self.num_layers + 1)])
        ax.set_yticks(range(self.num_layers), [str(a) for a in range(self.num_layers)])
        ax.set_xlabel("to layer B")
        ax.set_ylabel("from layer A (0 = input)")
        for (r, c), v in np.ndenumerate(data):
            if np.isfinite(v):
                ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=7, color="white")
        ax.figure.colorbar(im, ax=ax, label="mean bits kept per word")
        ax.set_title(self.model, fontsize=9)
        ax.figure.tight_layout()
        return ax


def layer_matrix(texts, model=None, tokenizer=None, **options) -> LayerMatrix:
    """Explain ``texts`` from every layer A to every layer above it (``options`` as for :func:`wordinfo.explain`)."""
    from .explainer import explain
    if "from_layer" in options or "layers" in options:
        raise WordinfoError("layer_matrix explains every pair of layers: drop from_layer= and layers=")
    first = explain(texts, model, tokenizer, from_layer=0, **options)
    num_layers = len(first.layers)
    if any(not label.isdigit() for label in first.layers):
        raise WordinfoError("layer_matrix needs layer targets (--target tokens, cls or token:J), not "
                            f"{first.target!r}")
    explanations = {0: first}
    for a in range(1, num_layers):
        explanations[a] = explain(texts, model, tokenizer, from_layer=a, **options)
    return LayerMatrix.from_explanations(explanations)
