"""sigma_S and its kin: element-wise mean and std pooled over many rows, with one floor for constant features.

The one place for the pooled standard deviation that scales every reconstruction error
(sigma_S: docs/method.md, "sigma_S"): the estimator's ``feature_std``, the
calibration cache and the baselines' statistics all accumulate through
:class:`PooledMoments`. Sums are kept in float64, so a corpus of any size streams
through in batches and gives the same answer as one pass over all rows (to float64
rounding).
"""

from __future__ import annotations

import torch

STD_FLOOR = 1e-3     # a constant feature's std is floored at this fraction of the mean std (it would divide by 0)


class PooledMoments:
    """Running element-wise sums of rows ``[count, ...]``: mean and (sample) std of all rows added."""

    def __init__(self):
        self.sum, self.squares, self.count = 0.0, 0.0, 0

    def add(self, rows: torch.Tensor) -> "PooledMoments":
        rows = rows.detach().double()
        self.sum = self.sum + rows.sum(0)
        self.squares = self.squares + rows.pow(2).sum(0)
        self.count += rows.shape[0]
        return self

    @property
    def mean(self) -> torch.Tensor:
        return self.sum / self.count

    def std(self, dtype: torch.dtype = torch.float32, floor: bool = True) -> torch.Tensor:
        """The sample std (``count - 1`` in the denominator), floored (:func:`floored`) unless ``floor`` is False."""
        c = self.count
        var = (self.squares / c - self.mean.pow(2)).clamp_min(0) * c / max(c - 1, 1)
        std = var.sqrt().to(dtype)
        return floored(std) if floor else std


def floored(std: torch.Tensor) -> torch.Tensor:
    """Constant features would divide by zero: floor them at ``STD_FLOOR`` times the typical spread."""
    return std.clamp_min(STD_FLOOR * float(std.mean()) + 1e-12)
