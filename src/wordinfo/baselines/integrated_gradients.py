"""Integrated gradients (Sundararajan et al., 2017), from the deletion reference. Captum's
``IntegratedGradients``."""

from __future__ import annotations

from captum.attr import IntegratedGradients as _IntegratedGradients

from ._utils import ExplainedScalar, rows_per_pass
from .base import Method


class IntegratedGradients(Method):
    """Path integral of the gradient from the reference (every word replaced by the deletion
    token, special tokens kept) to ``x``; signed, and the scores of a sentence add up to
    ``f(x) - f(reference)`` (completeness). ``steps`` Gauss-Legendre points (Captum's default
    rule)."""
    name = "integrated_gradients"

    def __init__(self, steps: int = 20):
        self.steps = int(steps)

    def token_scores(self, ctx, sentence, targets, seed):
        f = ExplainedScalar(ctx, sentence, targets)
        x, row_target = f.rows()
        x.requires_grad_()
        baseline, _ = f.rows(reference=True)
        attr = _IntegratedGradients(f).attribute(
            x, baselines=baseline, additional_forward_args=(row_target,), n_steps=self.steps,
            internal_batch_size=rows_per_pass(sentence, len(targets)))
        return attr.sum(-1).detach().numpy()
