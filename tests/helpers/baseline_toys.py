"""Toy models behind wordinfo's encoder interface, for the baseline and evaluation tests.

Words are '0'..'9' (the reverse task's word-level tokenizer, so one token per word, with
[CLS] first and [SEP] last); the input vectors are a fixed random table. Each toy's
answer is known in closed form.
"""

from __future__ import annotations

import torch
from torch import nn

from wordinfo.models.targets import Target
from wordinfo.training.reverse import build_tokenizer


class ToyEncoder:
    """``module(x, mask, target)`` gives each target's output; everything else is the interface."""

    def __init__(self, module: nn.Module, width: int = 4, layers: int = 2, seed: int = 0, steps: bool = False):
        self.tokenizer = build_tokenizer(10, max_length=32)
        g = torch.Generator().manual_seed(seed)
        self.table = torch.randn(len(self.tokenizer), width, generator=g)
        self.model, self.n_layers, self.steps, self.name = module, layers, steps, type(module).__name__

    @property
    def width(self):
        return self.table.shape[1]

    @property
    def device(self):
        return self.table.device

    def default_scale(self):
        return 10 * float(self.table.std())

    def tokenize(self, texts, truncate=False):
        return self.tokenizer(list(texts), padding=True, return_tensors="pt", return_offsets_mapping=True,
                              return_special_tokens_mask=True)

    def embed(self, ids):
        return self.table[ids]

    def targets(self, layers="all", kind="tokens"):
        if kind == "logits" or kind.startswith("logits:"):
            return [Target(kind, None)]
        return [Target("tokens", layer) for layer in range(1, self.n_layers + 1)]

    def forward(self, xs, mask, targets):
        return [self.model(xs[i], mask, t) for i, t in enumerate(targets)]

    def clean_outputs(self, x, mask, targets):
        with torch.no_grad():
            return self.forward(x[None].expand(len(targets), *x.shape), mask, targets)


class LinearToy(nn.Module):
    """Layers ``x W1``, ``x W1 W2`` token by token; logits ``sum_t x_t A + b``: linear in x.
    Token position ``ignore`` is multiplied by zero first: the model never sees it."""

    def __init__(self, width=4, ignore: int | None = None, seed=1):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w1, self.w2 = torch.randn(width, width, generator=g), torch.randn(width, width, generator=g)
        self.a, self.b = torch.randn(width, 2, generator=g), torch.tensor([0.3, -0.2])
        self.ignore = ignore

    def seen(self, x):
        if self.ignore is None:
            return x
        keep = torch.ones(x.shape[-2], 1)
        keep[self.ignore] = 0
        return x * keep

    def forward(self, x, mask, target):
        x = self.seen(x) * mask[..., None]
        if target.kind == "logits":
            return x.sum(1) @ self.a + self.b
        h = x @ self.w1
        return h if target.layer == 1 else h @ self.w2


class ReluToy(nn.Module):
    """Bias-free Linear-ReLU-Linear on the sum of the tokens: the layers Captum's LRP supports
    (``smooth``: tanh instead of ReLU, for integrals without kinks)."""

    def __init__(self, width=4, hidden=6, seed=2, smooth=False):
        super().__init__()
        torch.manual_seed(seed)
        self.lin1, self.lin2 = nn.Linear(width, hidden, bias=False), nn.Linear(hidden, 2, bias=False)
        self.relu = nn.Tanh() if smooth else nn.ReLU()

    def forward(self, x, mask, target):
        h = self.relu(self.lin1(x * mask[..., None]))
        if target.kind == "logits":
            return self.lin2(h.sum(1))
        return h


class ChainToy(nn.Module):
    """Flatten, bias-free Linear, ReLU, Linear: a pure chain of the modules Captum's LRP has rules for
    (sentences of exactly ``tokens`` tokens)."""

    def __init__(self, width=4, tokens=7, hidden=6, seed=3):
        super().__init__()
        torch.manual_seed(seed)
        self.lin1, self.relu = nn.Linear(width * tokens, hidden, bias=False), nn.ReLU()
        self.lin2 = nn.Linear(hidden, 2, bias=False)

    def forward(self, x, mask, target):
        if target.kind != "logits":
            return self.relu(self.lin1(x.flatten(1)))
        return self.lin2(self.relu(self.lin1(x.flatten(1))))


class ReverseToy(nn.Module):
    """A perfect reverser: the scores of output step J are ``tanh(x_p) E^T`` with ``p`` the token position
    of word ``n - J + 1`` (after [CLS]); nothing else is read."""

    def __init__(self, table):
        super().__init__()
        self.table = table

    def forward(self, x, mask, target):
        n = int(mask[0].sum()) - 2
        position = n - target.index + 1
        return torch.tanh(x[:, position]) @ self.table.T


# ---------------------------------------------------------------- a toy's context, a method's scores

DIGITS = ["3 1 4 1 5", "9 2 6 5 3 5", "8 9 7", "2 7 1 8 2 8"]


def toy_context(module, **kw):
    """The baselines' :class:`Context` of a toy: its layers' token states and its logits, over ``DIGITS``."""
    from wordinfo.baselines import Context
    enc = ToyEncoder(module, **kw)
    return Context(enc, enc.targets("all", "tokens") + enc.targets(None, "logits"), DIGITS)


def scores(ctx, name, text=DIGITS[0], seed=0, **options):
    """Method ``name``'s word scores of ``text`` ``[targets, words]``, with ``options`` for it."""
    from wordinfo.baselines import make_methods
    method = make_methods(name, **({name: options} if options else {}))[0]
    return method.explain(ctx, ctx.sentence(text), seed=seed).values
