"""Layer-wise relevance propagation (Bach et al., 2015), epsilon rule: Captum's ``LRP``.

Captum has rules only for Linear, Conv2d, pooling and BatchNorm2d layers (with ReLU, Tanh
and Dropout passed through). A model with any other layer on the way from ``x`` to the
target (LayerNorm, attention, GELU, LSTM, Conv1d, ...) is reported as unsupported, with
the layer types named: propagating through them with the gradient would not be LRP.

Captum's LRP propagates relevance from a module's output through modules only, so it
explains the predicted class's raw logit (Captum's ``target``), not the centred logit or
a projection of a hidden state the other methods explain (those are operations outside
any module, which Captum's rules do not see): predictions only. Functional operations
between modules (a sum over tokens, say) are invisible to it as well and make its
relevance wrong without an error; only module types can be checked here.
"""

from __future__ import annotations

import torch
from captum.attr import LRP as _LRP
from captum.attr._core.lrp import (
    SUPPORTED_LAYERS_WITH_RULES,
    SUPPORTED_NON_LINEAR_LAYERS,
)

from .base import Method
from .targets import is_prediction


class LRP(Method):
    """Relevance of each token (summed over its vector) for the explained scalar; signed."""
    name = "lrp"

    def unsupported(self, ctx, target):
        reason = _checked(ctx)[1]
        if reason is not None:
            return reason
        if not is_prediction(target):
            return "Captum's LRP explains a module's output: predictions only"
        return None

    def token_scores(self, ctx, sentence, targets, seed):
        rows = []
        for t in targets:                  # one target a pass: Captum's LRP allows each module to run once
            with torch.no_grad():
                label = int(ctx.outputs(sentence.x[None], sentence.mask, [t])[0][0].argmax())
            x = sentence.x.clone().requires_grad_()
            model = _Propagated(_checked(ctx)[0], ctx, sentence, t)
            relevance = _LRP(model).attribute(x, target=label)
            rows.append(relevance[0].sum(-1).detach().numpy())
        return rows


class _Propagated(torch.nn.Module):
    """One target's output as a module whose children are exactly the layers it runs, which
    is what Captum's LRP walks to attach its rules."""

    def __init__(self, layers, ctx, sentence, target):
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)
        self.ctx, self.sentence, self.target = ctx, sentence, target

    def forward(self, x):
        return self.ctx.outputs(x[None], self.sentence.mask, [self.target])[0]


def _checked(ctx):
    if "lrp" not in ctx.cache:
        ctx.cache["lrp"] = _check_layers(ctx)
    return ctx.cache["lrp"]


def _check_layers(ctx):
    """(the leaf modules that run between x and the targets, None) or (None, why LRP cannot run)."""
    model = getattr(ctx.encoder, "model", None)
    if not isinstance(model, torch.nn.Module):
        return None, "no torch modules to propagate relevance through"
    sentence = ctx.sentence(ctx.texts[0])
    targets = ctx.targets_for(sentence)
    ran = []
    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(lambda m, a, o: ran.append(m)) for m in leaves]
    try:
        with torch.no_grad(), ctx.frozen():
            ctx.outputs(sentence.x[None].expand(len(targets), -1, -1, -1), sentence.mask, targets)
    finally:
        for h in handles:
            h.remove()
    used = list(dict.fromkeys(ran))
    allowed = set(SUPPORTED_LAYERS_WITH_RULES) | set(SUPPORTED_NON_LINEAR_LAYERS)
    missing = sorted({type(m).__name__ for m in used if type(m) not in allowed})
    if missing:
        return None, f"Captum's LRP has no rule for {', '.join(missing)}"
    return used, None
