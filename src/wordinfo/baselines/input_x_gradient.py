"""Input x gradient (Shrikumar et al., 2016): ``x . df/dx``, per token. Captum's ``InputXGradient``."""

from __future__ import annotations

from captum.attr import InputXGradient as _InputXGradient

from ._utils import ExplainedScalar
from .base import Method


class InputXGradient(Method):
    """``sum_k x_tk df/dx_tk``: signed; exact contributions for a function linear in ``x``."""
    name = "input_x_gradient"

    def token_scores(self, ctx, sentence, targets, seed):
        f = ExplainedScalar(ctx, sentence, targets)
        x, row_target = f.rows()
        x.requires_grad_()
        attr = _InputXGradient(f).attribute(x, additional_forward_args=(row_target,))
        return attr.sum(-1).detach().numpy()
