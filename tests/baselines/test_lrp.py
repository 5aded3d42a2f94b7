"""Layer-wise relevance propagation (``wordinfo.baselines.lrp``): where Captum has rules, it is input x gradient."""

from __future__ import annotations

import numpy as np
import torch

from helpers.baseline_toys import ChainToy, LinearToy, ReluToy, ToyEncoder, toy_context
from wordinfo.baselines import Context, make_methods


def test_lrp_runs_where_captum_has_rules_and_equals_input_x_gradient_there():
    enc = ToyEncoder(ChainToy())                                         # bias-free ReLU chain: LRP-0 = x * grad
    ctx = Context(enc, enc.targets(None, "logits"), ["3 1 4 1 5", "9 2 6 5 3"])
    s = ctx.sentence("3 1 4 1 5")
    lrp = make_methods("lrp")[0].token_scores(ctx, s, ctx.targets, seed=0)[0]
    x = s.x.clone().requires_grad_()
    logits = enc.model(x, s.mask, ctx.targets[0])[0]
    (grad,) = torch.autograd.grad(logits[int(logits.argmax())], x)
    np.testing.assert_allclose(lrp, (x * grad).sum(-1)[0].detach().numpy(), rtol=1e-4, atol=1e-6)
    assert "no modules" not in (make_methods("lrp")[0].unsupported(toy_context(ReluToy()), ctx.targets[0]) or "")
    assert make_methods("lrp")[0].unsupported(toy_context(LinearToy()), ctx.targets[0]) is not None   # no modules
