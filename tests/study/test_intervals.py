import math

import numpy as np

from wordinfo.study.intervals import Interval, difference, mean_interval, paired_interval


def test_mean_interval_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    small, large = mean_interval(rng.normal(2, 1, 20)), mean_interval(rng.normal(2, 1, 2000))
    assert small.low < 2 < small.high and large.low < 2 < large.high
    assert (large.high - large.low) < (small.high - small.low) / 5
    assert large.n == 2000


def test_nan_rows_are_left_out_and_a_single_value_is_its_own_interval():
    assert mean_interval([1.0, math.nan, math.nan]) == Interval(1.0, 1.0, 1.0, 1)
    empty = mean_interval([])
    assert empty.n == 0 and not empty.finite


def test_paired_difference_is_tighter_than_the_unpaired_spread():
    """Sentences shared by two models: their common part cancels in the paired interval."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 10, 200)
    a, b = shared + 1 + rng.normal(0, 0.1, 200), shared + rng.normal(0, 0.1, 200)
    d = difference(a, b)
    assert d.above(0) and d.high - d.low < 0.1
    unpaired = mean_interval(a)
    assert unpaired.high - unpaired.low > 1


def test_the_same_seed_gives_the_same_interval_and_text_reads_back():
    v = np.random.default_rng(3).normal(size=50)
    one, two = paired_interval([v], np.median), paired_interval([v], np.median)
    assert one == two
    assert one.text(2).count("[") == 1 and Interval(**one.to_dict()) == one
