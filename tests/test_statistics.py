"""sigma_S's arithmetic (``wordinfo.statistics``): moments pooled over batches, and the floor of a constant feature."""

from __future__ import annotations

import pytest
import torch

from wordinfo.statistics import STD_FLOOR, PooledMoments, floored


def test_pooled_moments_over_batches_equal_torch_std_of_all_rows():
    g = torch.Generator().manual_seed(0)
    rows = torch.randn(103, 4, 3, generator=g) * torch.tensor([1.0, 5.0, 0.1]) + 7.0     # far from zero, spread apart
    moments = PooledMoments()
    for batch in rows.split(10):                                       # ten batches of 10 and one of 3
        moments.add(batch)
    assert moments.count == 103
    torch.testing.assert_close(moments.mean, rows.double().mean(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(moments.std(torch.float64, floor=False), rows.double().std(0), rtol=1e-8, atol=0)
    std = moments.std()
    assert std.dtype == torch.float32
    torch.testing.assert_close(std, rows.std(0), rtol=1e-5, atol=0)  # nothing here is near the floor


def test_a_constant_feature_is_floored_at_a_thousandth_of_the_mean_std():
    rows = torch.stack([torch.arange(10.0), torch.full((10,), 3.0), -2 * torch.arange(10.0)], dim=1)
    moments = PooledMoments().add(rows[:4]).add(rows[4:])
    raw = moments.std(floor=False)
    assert float(raw[1]) == 0.0
    std = moments.std()
    assert float(std[1]) == pytest.approx(STD_FLOOR * float(raw.mean()) + 1e-12, rel=1e-6) and float(std[1]) > 0
    torch.testing.assert_close(std[[0, 2]], raw[[0, 2]])
    torch.testing.assert_close(floored(torch.tensor([2.0, 0.0, 4.0])), torch.tensor([2.0, 2e-3 + 1e-12, 4.0]))
