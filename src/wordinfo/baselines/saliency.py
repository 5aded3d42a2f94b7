"""Saliency (Simonyan et al., 2014): the gradient's norm, per token. Captum's ``Saliency``."""

from __future__ import annotations

from captum.attr import Saliency as _Saliency

from ._utils import ExplainedScalar
from .base import Method


class Saliency(Method):
    """``||d f / d x_t||_2`` for each token ``t``; a word gets the sum over its pieces."""
    name = "saliency"

    def token_scores(self, ctx, sentence, targets, seed):
        f = ExplainedScalar(ctx, sentence, targets)
        x, row_target = f.rows()
        x.requires_grad_()
        grads = _Saliency(f).attribute(x, additional_forward_args=(row_target,), abs=False)
        return grads.norm(dim=-1).detach().numpy()
