"""Integrated gradients (``wordinfo.baselines.integrated_gradients``): complete, on a smooth toy."""

from __future__ import annotations

import numpy as np
import torch

from helpers.baseline_toys import DIGITS, ReluToy, scores, toy_context


def test_integrated_gradients_are_complete(linear):
    ctx = toy_context(ReluToy(smooth=True))
    s = ctx.sentence(DIGITS[1])
    ig = scores(ctx, "integrated_gradients", DIGITS[1], steps=64)
    from wordinfo.baselines._utils import ExplainedScalar
    f = ExplainedScalar(ctx, s, ctx.targets)
    x, rows = f.rows()
    ref, _ = f.rows(reference=True)
    with torch.no_grad():
        gap = (f(x, rows) - f(ref, rows)).numpy()
    np.testing.assert_allclose(ig.sum(1), gap, rtol=2e-2, atol=1e-4)    # special tokens equal their reference
