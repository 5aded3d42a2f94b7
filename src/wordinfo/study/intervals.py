"""Intervals for the study's numbers: percentile bootstraps over sentences, paired where models are compared.

Every model of the study explains the same sentences, so a difference between two models (or two
layers of one) is resampled by sentence, keeping each sentence's values together: the interval
then reflects which sentences happened to be drawn, not the models' shared noise. scipy's
``stats.bootstrap`` does the resampling; this module only drops the sentences a statistic cannot
use (NaN: a sentence without a sentiment word has no task-word mean) and keeps a fixed seed, so
the same run gives the same intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int                      # the sentences (or items) it rests on

    def excludes(self, value: float = 0.0) -> bool:
        return self.low > value or self.high < value

    def above(self, value: float = 0.0) -> bool:
        return self.low > value

    def below(self, value: float = 0.0) -> bool:
        return self.high < value

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.estimate, self.low, self.high))

    def text(self, digits: int = 2) -> str:
        f = f"{{:.{digits}f}}"
        return f"{f.format(self.estimate)} [{f.format(self.low)}, {f.format(self.high)}]"

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "n": self.n}


def mean_interval(values, resamples: int = 2000, seed: int = 0) -> Interval:
    """The mean of per-sentence ``values`` and its 95% bootstrap interval (NaN values left out)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return paired_interval([v], lambda a: a.mean(), resamples, seed)


def paired_interval(columns, statistic, resamples: int = 2000, seed: int = 0) -> Interval:
    """``statistic(*columns)`` and its 95% bootstrap interval, the columns resampled together by row.

    ``columns`` are equal-length arrays (one value per sentence each); rows with a NaN in any column are
    dropped. ``statistic`` takes the resampled columns and returns a number.
    """
    from scipy import stats

    cols = [np.asarray(c, float) for c in columns]
    keep = np.all([np.isfinite(c) for c in cols], axis=0) if cols and len(cols[0]) else np.zeros(0, bool)
    cols = [c[keep] for c in cols]
    n = int(keep.sum())
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    est = float(statistic(*cols))
    if n == 1 or all(np.ptp(c) == 0 for c in cols):
        return Interval(est, est, est, n)          # nothing to resample: the interval is the point
    rows = np.arange(n)

    def on_rows(idx, axis=-1):
        idx = np.asarray(idx, int)
        if idx.ndim == 1:
            return statistic(*(c[idx] for c in cols))
        return np.array([statistic(*(c[i] for c in cols)) for i in idx])

    res = stats.bootstrap((rows,), on_rows, n_resamples=resamples, method="percentile", vectorized=True,
                          random_state=np.random.default_rng(seed))
    lo, hi = res.confidence_interval
    return Interval(est, float(lo), float(hi), n)


def difference(a, b, resamples: int = 2000, seed: int = 0) -> Interval:
    """mean(a - b) over the rows where both are known, resampled by row (a paired comparison)."""
    return paired_interval([a, b], lambda x, y: float(np.mean(x - y)), resamples, seed)
