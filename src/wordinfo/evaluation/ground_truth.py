"""Ground truth on the reverse-sequence task: output step ``j`` must depend on input word ``n - j + 1``.

For each (sentence, output step) the true source word's rank among the input words by the
method's scores: 1 is the top. Ties count against the method (a word tied with the true
one ranks above it), so a constant score never scores a hit. Which word is the true one is
:func:`wordinfo.training.reverse.ground_truth`'s to say (read through ``Context.truth``).
"""

from __future__ import annotations

import numpy as np


def true_rank(scores: np.ndarray, true_word: int) -> int:
    s = np.where(np.isfinite(scores), scores, -np.inf)
    others = np.delete(s, true_word)
    return int(1 + np.sum(others >= s[true_word]))


def summarise(ranks: list[int], n_words: list[int]) -> dict:
    if not ranks:
        return {}
    r = np.asarray(ranks, float)
    chance = float(np.mean([1.0 / m for m in n_words]))
    return {"steps": len(ranks), "top1": float(np.mean(r == 1)), "mean_rank": float(r.mean()),
            "chance_top1": chance, "chance_mean_rank": float(np.mean([(m + 1) / 2 for m in n_words]))}
