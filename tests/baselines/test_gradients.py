"""Gradient baselines (``wordinfo.baselines.gradients``): input x gradient is a linear model's exact contribution."""

from __future__ import annotations

import numpy as np
import torch

from helpers.baseline_toys import DIGITS, scores


def test_input_x_gradient_is_the_exact_contribution_of_a_linear_model(linear):
    s = linear.sentence(DIGITS[0])
    got = scores(linear, "input_x_gradient")[-1]                       # the prediction
    toy = linear.encoder.model
    with torch.no_grad():
        logits = toy(s.x, s.mask, linear.targets[-1])[0]
        c = int(logits.argmax())
        direction = toy.a[:, c] - toy.a.mean(1)                          # of z_c - mean(z)
        expected = (s.x[0] @ direction).numpy()[1:-1]                    # one token per word, [CLS]/[SEP] left out
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
