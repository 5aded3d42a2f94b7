"""The statistics every method shares: element-wise mean and std of the input vectors and of each
target's output over the evaluation sentences.

Token positions (and the output steps of one kind) pool together, as for wordinfo's sigma_S;
the std is :class:`wordinfo.statistics.PooledMoments`' pooled sample std with its floor. They
are the baselines' normalisation, the information bottleneck's prior and wordinfo's sigma_S,
all from the same sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..models.encoder import embed_texts
from ..statistics import PooledMoments
from .sentence import Sentence
from .targets import stat_key


class Statistics:
    """(mean, std) by :func:`stat_key`, ``'input'`` for the input vectors."""

    def __init__(self, moments: dict):
        self.moments = moments

    def of(self, target) -> tuple[torch.Tensor, torch.Tensor]:
        """Element-wise (mean, std) of a target's output over the evaluation sentences."""
        return self.moments[stat_key(target)]

    @property
    def input(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.moments["input"]


@torch.no_grad()
def measure(encoder, targets: Sequence, texts: Sequence[str], sentence: Callable[[str], Sentence] | None = None,
            step_targets: Callable[[Sentence], list] | None = None, batch: int = 16) -> Statistics:
    """The statistics of ``targets`` (the same for every sentence) over ``texts``, in batches; with
    ``step_targets`` (a sentence's output steps), those too, one ``sentence(text)`` at a time."""
    pooled: dict = {}

    def add(key, rows):
        pooled.setdefault(key, PooledMoments()).add(rows)

    def pool(out, mask):
        return out[mask] if out.dim() >= 3 else out          # [N, n, H] token states: pool positions

    targets = list(targets)
    for start in range(0, len(texts), batch):
        _, mask, x = embed_texts(encoder, texts[start:start + batch], truncate=True)
        add("input", x[mask])
        if targets:
            outs = encoder.forward(x[None].expand(len(targets), *x.shape), mask, targets)
            for t, out in zip(targets, outs):
                add(stat_key(t), pool(out, mask))
    if step_targets is not None:                              # one sentence at a time: steps differ in number
        for text in texts:
            s = sentence(text)
            steps = step_targets(s)
            outs = encoder.forward(s.x[None].expand(len(steps), -1, -1, -1), s.mask, steps)
            for t, out in zip(steps, outs):
                add(stat_key(t), pool(out, s.mask))
    # the floor in float64, then float32: as the statistics have always been kept
    return Statistics({key: (m.mean.float(), m.std(torch.float64).float()) for key, m in pooled.items()})
