"""``check_encoder``: what any adapter must do for the solvers to be right, checked on the adapter itself.

Like scikit-learn's ``check_estimator``: run it on every adapter wordinfo ships (the test
suite does) and on your own before you explain with it. Each check fails with an
``AssertionError`` that names the rule broken:

* description: ``width`` is the last axis of ``embed``; ``targets`` gives labelled targets;
* shapes: ``forward(xs [T, N, n, K], mask, targets)`` returns ``T`` outputs, each with the
  ``N`` copies first, and a target with a token axis keeps ``n`` positions;
* clean outputs: ``clean_outputs(x, mask, targets)`` equals ``forward`` of the clean input;
* batch invariance: a text's outputs do not depend on which copy or which batch it is in
  (the noise is keyed by content, so the answer must be too);
* padding invariance: padding a text (a longer text beside it) changes none of its real
  positions' outputs;
* gradients: the outputs are differentiable in ``xs`` (the solvers back-propagate).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .encoder import embed_texts
from .targets import head_targets

TEXTS = ("a short text .", "a second , somewhat longer text than the first one .")


def check_encoder(encoder, texts: Sequence[str] = TEXTS, targets: Sequence | None = None, atol: float = 1e-4) -> None:
    """Run every check on ``encoder`` (with ``texts``, the first shorter than the second: give your own for a
    closed vocabulary, such as the reverse task's digits; and ``targets``: default every layer's token
    states, plus the logits where the model has a head)."""
    targets = list(targets) if targets is not None else _default_targets(encoder)
    assert targets, "targets() gave no target: an adapter must offer at least one"
    for t in targets:
        assert isinstance(t.label, str) and t.label, f"target {t!r} has no label (Explanation rows need one)"
    with torch.no_grad():
        enc, mask, x = embed_texts(encoder, list(texts))
    assert x.dim() == 3 and x.shape[:2] == mask.shape, f"embed gave {tuple(x.shape)} for a mask {tuple(mask.shape)}"
    assert x.shape[-1] == encoder.width, f"width is {encoder.width} but embed gives vectors of {x.shape[-1]}"
    assert bool(mask[0].sum() < mask[1].sum()), "check_encoder needs a first text shorter than the second"
    _check_shapes(encoder, x, mask, targets)
    _check_clean(encoder, x, mask, targets, atol)
    _check_batch_and_padding(encoder, list(texts), x, mask, targets, atol)
    _check_gradients(encoder, x, mask, targets)


def _default_targets(encoder) -> list:
    return list(encoder.targets("all", "tokens")) + head_targets(encoder)


def _copies(x, mask, targets, copies: int):
    xs = x.repeat_interleave(copies, 0)[None].expand(len(targets), -1, -1, -1).contiguous()
    return xs, mask.repeat_interleave(copies, 0)


def _check_shapes(encoder, x, mask, targets):
    xs, m = _copies(x, mask, targets, 3)
    with torch.no_grad():
        outs = encoder.forward(xs, m, targets)
    assert len(outs) == len(targets), f"forward gave {len(outs)} outputs for {len(targets)} targets"
    for t, out in zip(targets, outs):
        assert out.shape[0] == xs.shape[1], f"target {t.label}: {out.shape[0]} rows for {xs.shape[1]} copies"
        if t.kind == "tokens":
            assert out.dim() == 3 and out.shape[1] == x.shape[1], \
                f"target {t.label} (tokens): output {tuple(out.shape)} should keep the {x.shape[1]} positions"
        assert bool(torch.isfinite(out[m] if t.kind == "tokens" else out).all()), f"target {t.label}: NaN or Inf"


def _check_clean(encoder, x, mask, targets, atol):
    clean = encoder.clean_outputs(x, mask, targets)
    with torch.no_grad():
        outs = encoder.forward(x[None].expand(len(targets), -1, -1, -1).contiguous(), mask, targets)
    for t, c, o in zip(targets, clean, outs):
        _close(c, o, mask if t.kind == "tokens" else None, atol,
               f"target {t.label}: clean_outputs differs from forward")


def _check_batch_and_padding(encoder, texts, x, mask, targets, atol):
    with torch.no_grad():
        _, mask1, x1 = embed_texts(encoder, texts[:1])            # the short text alone: no padding
        alone = encoder.forward(x1[None].expand(len(targets), -1, -1, -1).contiguous(), mask1, targets)
        xs, m = _copies(x, mask, targets, 2)                       # in a batch, padded, and twice
        batch = encoder.forward(xs, m, targets)
    n = x1.shape[1]
    for t, a, b in zip(targets, alone, batch):
        for copy in (0, 1):
            got = b[copy][:n] if t.kind == "tokens" else b[copy]
            _close(a[0], got, mask1[0] if t.kind == "tokens" else None, atol,
                   f"target {t.label}: a text's output changes with its batch or its padding (copy {copy})")


def _check_gradients(encoder, x, mask, targets):
    xs = x[None].expand(len(targets), -1, -1, -1).contiguous().requires_grad_(True)
    with encoder.frozen():
        outs = encoder.forward(xs, mask, targets)
        total = sum((o[mask] if t.kind == "tokens" else o).float().pow(2).sum() for t, o in zip(targets, outs))
        (grad,) = torch.autograd.grad(total, xs)
    assert bool(torch.isfinite(grad).all()), "the outputs' gradient in the input has NaN or Inf"
    for i, t in enumerate(targets):
        assert float(grad[i][mask].abs().sum()) > 0, f"target {t.label}: its output does not depend on the input"


def _close(a, b, mask, atol, message):
    a, b = a.float(), b.float()
    if mask is not None:
        a, b = a[mask], b[mask]
    scale = max(1.0, float(a.abs().max()))
    err = float((a - b).abs().max())
    assert err <= atol * scale, f"{message}: max difference {err:.3g}"
