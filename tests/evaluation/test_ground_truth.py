"""The reverse task's ground truth (``wordinfo.evaluation.ground_truth``): ranks, ties against the method."""

from __future__ import annotations

import numpy as np
import pytest

from wordinfo.evaluation.ground_truth import summarise, true_rank


def test_ground_truth_ranks_count_ties_against_the_method():
    assert true_rank(np.array([0.1, 0.9, 0.3]), 1) == 1
    assert true_rank(np.array([0.5, 0.5, 0.3]), 0) == 2
    assert true_rank(np.array([0.0, 0.0, 0.0]), 2) == 3
    s = summarise([1, 1, 3, 2], [3, 3, 4, 4])
    assert s["top1"] == 0.5 and s["mean_rank"] == 1.75 and s["chance_top1"] == pytest.approx((1 / 3 + 1 / 4) / 2)
