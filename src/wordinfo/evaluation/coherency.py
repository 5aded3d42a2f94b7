"""Coherency: do a method's word rankings tell one story across adjacent layers, and across seeds?

Both are Spearman rank correlations of word scores within a sentence (special tokens left
out), averaged over sentences; a pair is skipped when a sentence has fewer than three words
or a score vector is constant (no ranking to correlate).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from scipy.stats import spearmanr


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or not (np.isfinite(a).all() and np.isfinite(b).all()) or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a, b)[0])


def adjacent_layers(values: np.ndarray, rows: list[int]) -> list[float]:
    """Spearman between the word scores of consecutive layer targets (``rows`` of ``values [T, m]``)."""
    return [spearman(values[i], values[j]) for i, j in itertools.pairwise(rows)]


def across_seeds(runs: list[np.ndarray]) -> np.ndarray:
    """Per target, the mean Spearman over pairs of seeds (``runs``: one ``[T, m]`` per seed)."""
    pairs = list(itertools.combinations(range(len(runs)), 2))
    out = np.full(runs[0].shape[0], np.nan)
    for t in range(runs[0].shape[0]):
        vals = [spearman(runs[i][t], runs[j][t]) for i, j in pairs]
        vals = [v for v in vals if np.isfinite(v)]
        if vals:
            out[t] = float(np.mean(vals))
    return out


def mean(values) -> float:
    vals = [v for v in np.asarray(values, float).ravel() if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")
