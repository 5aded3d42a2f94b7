"""Coherency (``wordinfo.evaluation.coherency``): rank correlations across layers and seeds."""

from __future__ import annotations

import numpy as np
import pytest

from wordinfo.evaluation.coherency import across_seeds, adjacent_layers, spearman


def test_rank_correlations():
    a = np.array([1.0, 2, 3, 4])
    assert spearman(a, a * 10) == pytest.approx(1.0) and spearman(a, -a) == pytest.approx(-1.0)
    assert np.isnan(spearman(a, np.ones(4))) and np.isnan(spearman(a[:2], a[:2]))
    values = np.stack([a, a ** 2, -a])
    np.testing.assert_allclose(adjacent_layers(values, [0, 1, 2]), [1.0, -1.0])
    np.testing.assert_allclose(across_seeds([values, values, values]), [1.0, 1.0, 1.0])
