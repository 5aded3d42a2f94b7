"""The measure (docs/method.md, "The measure") as pure functions of tensors: no model, no optimiser.

For a word-embedding input ``x`` (``n`` words of width ``K``) and a hidden state
``s = phi(x)``, the per-word noise scales ``sigma`` minimise

    L(sigma) = E || (phi(x + sigma * eps) - s) / sigma_S ||^2 / D  -  lam * mean_i log sigma_i

and the entropy of word ``i`` given ``s`` is that of the fitted Gaussian,
``H_i = K log sigma_i + K/2 log(2 pi e)`` nats.
"""

from __future__ import annotations

import math

import numpy as np
import torch

LN2 = math.log(2.0)


def reconstruction_error(output: torch.Tensor, clean: torch.Tensor, feature_std: torch.Tensor,
                         element_mask: torch.Tensor | None) -> torch.Tensor:
    """Mean squared deviation of ``output`` from ``clean``, in units of ``feature_std``.

    All tensors have the batch first; the mean is over every element of an item
    that ``element_mask`` (broadcastable, True where counted) keeps. Returns ``[batch]``.
    """
    sq = ((output - clean) / feature_std).pow(2)
    sq = sq.reshape(sq.shape[0], -1) if sq.dim() > 1 else sq[:, None]
    if element_mask is None:
        return sq.mean(dim=1)
    keep = torch.broadcast_to(element_mask, output.shape).reshape(sq.shape).to(sq.dtype)
    return (sq * keep).sum(dim=1) / keep.sum(dim=1)


def fallback_feature_std(clean: torch.Tensor, element_mask: torch.Tensor | None) -> torch.Tensor:
    """The authors' sigma_S without a corpus: one scalar per item, ``sqrt(mean(s^2))``, shaped to broadcast."""
    ms = reconstruction_error(clean, torch.zeros_like(clean), torch.ones((), dtype=clean.dtype), element_mask)
    return ms.sqrt().reshape(-1, *([1] * (clean.dim() - 1)))


def entropy_term(log_sigma: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``log sigma`` over the real (unpadded) words of each item: ``[..., n] -> [...]``."""
    w = word_mask.to(log_sigma.dtype)
    return (log_sigma * w).sum(-1) / w.sum(-1)


def objective(reconstruction: torch.Tensor, log_sigma: torch.Tensor, word_mask: torch.Tensor,
              lam: float) -> torch.Tensor:
    """The loss L (docs/method.md, "The measure"), given the (sampled) reconstruction error of each item."""
    return reconstruction - lam * entropy_term(log_sigma, word_mask)


def entropy_nats(sigma, width: int):
    """Differential entropy of an isotropic Gaussian of scale ``sigma`` in ``width`` dimensions."""
    return width * _log(sigma) + 0.5 * width * math.log(2 * math.pi * math.e)


def entropy_bits(sigma, width: int):
    return entropy_nats(sigma, width) / LN2


def retained_bits(sigma, scale: float, width: int):
    """Information kept about a word relative to the widest allowed noise: ``K log2(scale/sigma)``.

    Non-negative, 0 for a word the layer has wholly forgotten (sigma at its bound); clipped
    at 0 so that float32 rounding of a sigma at the bound never shows as a negative value.
    """
    kept = width * (math.log(scale) - _log(sigma)) / LN2
    return kept.clamp_min(0.0) if isinstance(kept, torch.Tensor) else np.maximum(kept, 0.0)  # NaN (padding) stays NaN


def bits_error(log_sigma_se, width: int):
    """Standard error of an entropy or of the bits kept, in bits, from that of ``log sigma``: ``K / ln 2`` times it."""
    return width * log_sigma_se / LN2


def concept_bits(sigma, sq_distance):
    """Fine-grained information r_{i,c} in bits (docs/method.md, "What the paper does").

    ``r_{i,c} = log p(x_i | s) - E_{x' in X_c} log p(x' | s)``: how much better the layer's
    state pins word ``i`` down than the words of its concept ``c``. For the fitted Gaussian
    ``p(x | s) = N(x_i, sigma_i^2 I_K)`` the normalising constants cancel and it is
    ``E_{x'} ||x' - x_i||^2 / (2 sigma_i^2)`` nats; ``sq_distance`` is that mean squared distance
    (:func:`wordinfo.concept_distances`), broadcast against ``sigma`` (``[tokens]`` against
    ``[layers, tokens]``). Non-negative; it grows as ``sigma`` shrinks (a layer that keeps the word).
    """
    return sq_distance / (2 * sigma ** 2) / LN2


def concept_bits_error(bits, log_sigma_se):
    """Standard error of :func:`concept_bits` from that of ``log sigma``: r is proportional to
    ``sigma^-2``, so ``d r / d log sigma = -2 r`` and ``se(r) = 2 r se(log sigma)`` (the distances are exact)."""
    return 2 * bits * log_sigma_se


def linearised_optimum(jacobian_sq_norm: torch.Tensor, n_elements: torch.Tensor, n_words: torch.Tensor,
                       lam: float, scale: float) -> torch.Tensor:
    """The optimal ``sigma`` when ``phi`` is linear (exact) or the noise is small (first order).

    ``E||J eps||^2 = sum_i sigma_i^2 ||J_i||_F^2``, so setting dL/dsigma_i = 0 gives
    ``sigma_i^2 = lam * D / (2 n ||J_i / sigma_S||_F^2)``, clipped at the bound ``scale``.
    ``jacobian_sq_norm`` is ``[..., n]``; ``n_elements`` and ``n_words`` broadcast against ``[...]``.
    """
    d = torch.as_tensor(n_elements, dtype=jacobian_sq_norm.dtype)[..., None]
    n = torch.as_tensor(n_words, dtype=jacobian_sq_norm.dtype)[..., None]
    var = lam * d / (2 * n * jacobian_sq_norm.clamp_min(torch.finfo(jacobian_sq_norm.dtype).tiny))
    return var.sqrt().clamp(max=scale)


def _log(v):
    return torch.log(v) if isinstance(v, torch.Tensor) else np.log(v)
