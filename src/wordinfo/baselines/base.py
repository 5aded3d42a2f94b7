"""The ``Method`` interface every explanation method implements, and the word scores it gives (``Scores``).

Every method works on wordinfo's encoder interface (``tokenize``, ``embed``,
``forward(xs, mask, targets)``) through a :class:`~wordinfo.baselines.context.Context`:
it explains a function of the input word vectors ``x`` (for a Transformer, the
embedding block's output, the same ``x`` wordinfo perturbs), so any model wordinfo
can explain can be compared. Token scores become word scores through wordinfo's own
:class:`~wordinfo.words.WordMap` (pieces add up), and special tokens ([CLS], [SEP]) are
left out of every ranking. One method a file, as in Captum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .context import Context
from .sentence import Sentence


@dataclass
class Scores:
    """One method's word scores for one sentence: ``values[t, j]`` for target ``t`` and real word ``j``."""
    values: np.ndarray           # [targets, words]; NaN where the method does not apply
    seconds: float               # wall time; info['cpu_seconds']: the process's CPU time (all its threads)
    info: dict = field(default_factory=dict)


class Method:
    """An explanation method: word scores (higher = more important) for every target of a sentence.

    Subclasses set ``name`` and ``stochastic`` and implement ``token_scores``; ``unsupported``
    says why a target (or the whole model) cannot be explained, or returns None.
    """
    name = "method"
    stochastic = False           # results depend on a seed: coherency across seeds applies
    token_level = True           # token_scores add up to word scores (False: every token holds its word's score)

    def unsupported(self, ctx: Context, target) -> str | None:
        return None

    def token_scores(self, ctx: Context, sentence: Sentence, targets: list, seed: int) -> np.ndarray:
        """``[len(targets), n_tokens]`` scores."""
        raise NotImplementedError

    def explain(self, ctx: Context, sentence: Sentence, seed: int = 0) -> Scores:
        """Word scores for every target of the sentence (``ctx.targets_for``) this method supports
        (NaN rows for the others), timed."""
        targets = ctx.targets_for(sentence)
        chosen = [t for t in targets if self.unsupported(ctx, t) is None]
        values = np.full((len(targets), len(sentence.words)), np.nan)
        start, cpu = time.perf_counter(), time.process_time()
        if chosen:
            torch.manual_seed(seed)
            with ctx.frozen():
                tokens = np.asarray(self.token_scores(ctx, sentence, chosen, seed), dtype=float)
            words = to_words(sentence, tokens, self.token_level)
            for row, t in zip(words, chosen):
                values[targets.index(t)] = row
        return Scores(values, time.perf_counter() - start,
                      {"targets": len(chosen), "cpu_seconds": time.process_time() - cpu})


def to_words(sentence: Sentence, token_scores: np.ndarray, token_level: bool = True) -> np.ndarray:
    """Token scores ``[..., n_tokens]`` -> real-word scores ``[..., words]`` with wordinfo's WordMap.

    Token-level scores add up over a word's pieces (as wordinfo's entropies do); word-level
    scores (every piece holds its word's value, e.g. erasure) are averaged instead.
    """
    wm = sentence.word_map
    merged = wm.merge(token_scores)
    if not token_level:
        merged = merged / wm.merge(np.ones(len(wm.tokens)))
    return merged[..., sentence.words]
