"""The information bottleneck (``wordinfo.baselines.information_bottleneck``) and wordinfo as a method
(``baselines.measure``): both find the word a model ignores."""

from __future__ import annotations

import numpy as np

from helpers.baseline_toys import LinearToy, scores, toy_context


def test_wordinfo_and_the_bottleneck_find_the_ignored_word():
    ctx = toy_context(LinearToy(ignore=2))
    kept = scores(ctx, "wordinfo", max_samples=32, max_steps=10)
    assert np.allclose(kept[:, 1], 0.0) and (kept[:, [0, 2, 3, 4]] > 1).all()     # bits kept: none of it
    ib = scores(ctx, "information_bottleneck", seed=3, steps=60, layers=True)
    assert (ib.argmin(1) == 1).all()                                     # least information lets through
    np.testing.assert_array_equal(ib, scores(ctx, "information_bottleneck", seed=3, steps=60, layers=True))
    assert np.isnan(scores(ctx, "information_bottleneck")[:2]).all()     # by default: the prediction only
