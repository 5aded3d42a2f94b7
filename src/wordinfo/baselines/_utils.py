"""Helpers shared by the baselines: the one scalar each target is explained by, batched over targets."""

from __future__ import annotations

import torch

from .context import Context
from .sentence import Sentence
from .targets import is_prediction


class ExplainedScalar:
    """A function of the input that Captum can explain: one scalar per target, all targets in one pass.

    Captum explains scalars. For a prediction it is the predicted class's logit minus the
    mean logit (the softmax ignores a common shift; for two classes, half the log-odds).
    For a hidden state ``s`` (a layer's token states, a vector) it is the projection
    ``<u, (s(x) - mu) / sd> / sqrt(D)`` on the state's own centred, normalised direction
    ``u`` at the clean input, ``mu`` and ``sd`` the state's element-wise mean and std over the
    evaluation sentences: how strongly the state is what it is. It is deterministic (random
    projections would add sampling noise of our own to every method's coherency).

    Input rows carry the index of their target (``row_target``, passed to Captum as an
    additional forward argument, which Captum replicates with the rows), so one call of the
    encoder serves every target: row ``r`` goes to target ``row_target[r]``.
    """

    def __init__(self, ctx: Context, sentence: Sentence, targets: list):
        self.ctx, self.sentence, self.targets = ctx, sentence, list(targets)
        with torch.no_grad():
            clean = ctx.outputs(sentence.x[None].expand(len(targets), -1, -1, -1), sentence.mask, targets)
        self.heads = []
        for t, out in zip(targets, clean):
            if is_prediction(t):
                self.heads.append(("class", int(out[0].argmax())))
            else:
                mu, sd = ctx.stats(t)
                z = ((out[0] - mu) / sd).flatten()
                self.heads.append(("project", (mu, sd, z / z.norm().clamp_min(1e-12) / z.numel() ** 0.5)))

    def rows(self, reference: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """One input row per target (``[T, n, K]``: the sentence, or its reference) and its target index."""
        x = self.sentence.reference if reference else self.sentence.x
        return x.expand(len(self.targets), -1, -1).clone(), torch.arange(len(self.targets))

    def __call__(self, x_rows: torch.Tensor, row_target: torch.Tensor) -> torch.Tensor:
        T = len(self.targets)
        order = torch.argsort(row_target, stable=True)
        per = x_rows.shape[0] // T
        if per * T != x_rows.shape[0] or not bool((row_target[order].view(T, per) ==
                                                   torch.arange(T)[:, None]).all()):
            raise RuntimeError("every target needs the same number of input rows")
        outs = self.ctx.outputs(x_rows[order].reshape(T, per, *x_rows.shape[1:]), self.sentence.mask, self.targets)
        values = [self._scalar(head, out) for head, out in zip(self.heads, outs)]
        result = torch.empty(x_rows.shape[0], dtype=values[0].dtype, device=x_rows.device)
        result[order] = torch.cat(values)
        return result

    def single(self, t: int):
        """The scalar of target ``t`` alone, as a function of ``x [N, n, K]``."""
        return lambda x: self._scalar(self.heads[t], self.ctx.outputs(x[None], self.sentence.mask,
                                                                      [self.targets[t]])[0])

    @staticmethod
    def _scalar(head, out):
        kind, value = head
        if kind == "class":
            return out[:, value] - out.mean(-1)
        mu, sd, u = value
        return ((out - mu) / sd).flatten(1) @ u


def rows_per_pass(sentence: Sentence, n_targets: int, max_tokens: int = 16384) -> int:
    """How many input rows to push through the model at once: bounds memory, not results."""
    return max(n_targets, (max_tokens // max(1, sentence.n_tokens)) // n_targets * n_targets)
