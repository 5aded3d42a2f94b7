"""A reference, not an explanation: random word scores, what every metric should beat."""

from __future__ import annotations

import numpy as np

from .base import Method


class Random(Method):
    """Independent uniform scores per word and target (word-level, so long words are not favoured)."""
    name = "random"
    stochastic = True
    token_level = False

    def token_scores(self, ctx, sentence, targets, seed):
        rng = np.random.default_rng([seed, len(sentence.text), sum(map(ord, sentence.text))])
        words = rng.random((len(targets), len(sentence.word_map.words)))
        return words[:, sentence.word_map.token_word]
