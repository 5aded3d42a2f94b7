"""The measure as pure functions (``wordinfo.objective``): the reconstruction error, entropies, bits kept, the
fine-grained information r_{i,c} and the linearised optimum, on numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wordinfo import objective as obj


def test_reconstruction_error_averages_only_the_elements_kept():
    clean = torch.zeros(2, 3, 2)
    out = torch.tensor([[[1.0, 1.0], [2.0, 2.0], [9.0, 9.0]], [[3.0, 3.0], [0.0, 0.0], [0.0, 0.0]]])
    keep = torch.tensor([[True, True, False], [True, True, True]])[..., None]
    err = obj.reconstruction_error(out, clean, torch.tensor(2.0), keep)
    torch.testing.assert_close(err, torch.tensor([(0.25 + 1.0) / 2, 2.25 / 3]))
    torch.testing.assert_close(obj.reconstruction_error(out, clean, torch.tensor(1.0), None),
                               out.pow(2).reshape(2, -1).mean(1))


def test_entropy_and_bits_kept_follow_their_formulas():
    sigma, k, scale = np.array([0.05, 0.5, np.nan]), 8, 0.5
    gauss = k / 2 * math.log(2 * math.pi * math.e)
    np.testing.assert_allclose(obj.entropy_nats(sigma, k)[:2], k * np.log(sigma[:2]) + gauss)
    np.testing.assert_allclose(obj.entropy_bits(sigma, k)[:2], obj.entropy_nats(sigma, k)[:2] / math.log(2))
    kept = obj.retained_bits(sigma, scale, k)
    np.testing.assert_allclose(kept[:2], [k * math.log2(10), 0.0], atol=1e-12)
    assert np.isnan(kept[2])                                                # padding stays padding


def test_bits_kept_are_clamped_at_zero_for_numpy_and_torch():
    above = 0.5 * (1 + 1e-4)                                                # float rounding past the bound
    assert obj.retained_bits(np.array([above]), 0.5, 384)[0] == 0.0
    assert float(obj.retained_bits(torch.tensor([above]), 0.5, 384)[0]) == 0.0
    assert float(obj.retained_bits(torch.tensor([0.25]), 0.5, 4)[0]) == pytest.approx(4.0)


def test_linearised_optimum_is_the_closed_form_clipped_at_the_bound():
    sq = torch.tensor([[4.0, 1e-12, 0.0]])
    sigma = obj.linearised_optimum(sq, n_elements=torch.tensor([6.0]), n_words=torch.tensor([3.0]), lam=0.1, scale=0.5)
    torch.testing.assert_close(sigma, torch.tensor([[math.sqrt(0.1 * 6 / (2 * 3 * 4.0)), 0.5, 0.5]]))


def test_concept_bits_are_the_mean_squared_distance_over_twice_the_variance_in_bits():
    sigma = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 1.0]])           # [layers, tokens]
    sq = np.array([2.0, 8.0, 8.0])                                  # [tokens], broadcast over the layers
    expected = np.array([[2 / (2 * 0.25), 8 / 2, 8 / 8], [1.0, 4.0, 4.0]]) / math.log(2)
    np.testing.assert_allclose(obj.concept_bits(sigma, sq), expected)
    torch.testing.assert_close(obj.concept_bits(torch.tensor(0.5), torch.tensor(2.0)),
                               torch.tensor(4.0 / math.log(2)))


def test_the_error_of_concept_bits_is_the_derivative_in_log_sigma():
    """se(r) = |dr/dlog sigma| se(log sigma) = 2 r se(log sigma): checked against a finite difference."""
    sigma, sq, h = np.array([0.3, 0.7]), np.array([5.0, 1.5]), 1e-6
    r = obj.concept_bits(sigma, sq)
    slope = (obj.concept_bits(sigma * np.exp(h), sq) - obj.concept_bits(sigma * np.exp(-h), sq)) / (2 * h)
    np.testing.assert_allclose(obj.concept_bits_error(r, 0.01), np.abs(slope) * 0.01, rtol=1e-6)
    np.testing.assert_allclose(obj.concept_bits_error(r, np.array([0.01, 0.02])), 2 * r * np.array([0.01, 0.02]))
