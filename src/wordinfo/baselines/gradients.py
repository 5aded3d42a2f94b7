"""Single-gradient methods through Captum: saliency (Simonyan et al., 2014) and input x gradient
(Shrikumar et al., 2016). One backward pass explains every target of a sentence."""

from __future__ import annotations

from typing import ClassVar

import torch
from captum.attr import InputXGradient as _InputXGradient
from captum.attr import Saliency as _Saliency

from ._utils import ExplainedScalar
from .base import Method


class _OneGradient(Method):
    """A Captum attribution of the explained scalar from one gradient, reduced over each token's vector."""
    captum_class = None
    attribute_options: ClassVar[dict] = {}

    @staticmethod
    def per_token(attr: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def token_scores(self, ctx, sentence, targets, seed):
        f = ExplainedScalar(ctx, sentence, targets)
        x, row_target = f.rows()
        x.requires_grad_()
        attr = self.captum_class(f).attribute(x, additional_forward_args=(row_target,), **self.attribute_options)
        return self.per_token(attr).detach().numpy()


class Saliency(_OneGradient):
    """``||d f / d x_t||_2`` for each token ``t``; a word gets the sum over its pieces."""
    name = "saliency"
    captum_class = _Saliency
    attribute_options: ClassVar[dict] = {"abs": False}

    @staticmethod
    def per_token(attr):
        return attr.norm(dim=-1)


class InputXGradient(_OneGradient):
    """``sum_k x_tk df/dx_tk``: signed; exact contributions for a function linear in ``x``."""
    name = "input_x_gradient"
    captum_class = _InputXGradient

    @staticmethod
    def per_token(attr):
        return attr.sum(-1)
