"""Faithfulness: does removing the words a method ranks first change the prediction most?

Deleting a word replaces its token vectors by the reference (the deletion token's
embedding at the same position: [MASK] for BERT-family models, padding otherwise);
special tokens always stay. The tracked quantity is the probability of the class the
model predicts on the full sentence.

- Deletion curve: probability after deleting the top ``k`` words, ``k = 0..m``; insertion
  curve: after restoring the top ``k`` words into the all-deleted sentence. Both are read
  on a grid of 11 fractions of the sentence (linear interpolation) so sentences of any
  length average together.
- AOPC (Samek et al., 2017): deletion ``mean_f p(x) - p(x without the top f)``, insertion
  ``mean_f p(only the top f) - p(nothing)``, over the grid; higher is better for both.
- Comprehensiveness and sufficiency (DeYoung et al., 2020) at ``q`` = 1, 5, 10, 20, 50% of
  the words (``ceil(q m)``, at least one word): ``p(x) - p(x without them)`` (higher is
  better) and ``p(x) - p(only them)`` (lower is better).
"""

from __future__ import annotations

import math

import numpy as np

GRID = np.linspace(0.0, 1.0, 11)
PERCENTS = (1, 5, 10, 20, 50)


def ranking(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Word indices from most to least important; ties (and NaN, last) broken at random."""
    s = np.where(np.isfinite(scores), scores, -np.inf)
    return np.lexsort((rng.random(len(s)), -s))


def faithfulness(ctx, sentence, scores: np.ndarray, seed: int = 0) -> dict:
    """Curves and scores of one method's word scores for the prediction, on one sentence."""
    m = len(sentence.words)
    order = ranking(scores, np.random.default_rng(seed))
    top = np.zeros((m + 1, m), dtype=bool)                 # top[k]: the k best-ranked words
    for k in range(1, m + 1):
        top[k] = top[k - 1]
        top[k, order[k - 1]] = True
    variants = np.concatenate([~top, top])                  # deletion then insertion, k = 0..m
    probs = ctx.predict_proba(sentence, sentence.replace_words(variants))
    label = int(probs[0].argmax())                          # variant 0 deletes nothing: the full sentence
    p = probs[:, label].double().numpy()
    deletion, insertion = p[:m + 1], p[m + 1:]
    frac = np.arange(m + 1) / m
    del_curve, ins_curve = np.interp(GRID, frac, deletion), np.interp(GRID, frac, insertion)
    p0 = deletion[0]
    ks = {q: min(m, max(1, math.ceil(q / 100 * m))) for q in PERCENTS}
    return {
        "p_full": float(p0), "p_empty": float(insertion[0]), "label": label,
        "deletion_curve": del_curve, "insertion_curve": ins_curve,
        "deletion_aopc": float(np.mean(p0 - del_curve)),
        "insertion_aopc": float(np.mean(ins_curve - insertion[0])),
        "comprehensiveness": {q: float(p0 - deletion[k]) for q, k in ks.items()},
        "sufficiency": {q: float(p0 - insertion[k]) for q, k in ks.items()},
    }


def summarise(rows: list[dict]) -> dict:
    """Mean over sentences of everything ``faithfulness`` returns."""
    if not rows:
        return {}
    comp = {q: float(np.mean([r["comprehensiveness"][q] for r in rows])) for q in PERCENTS}
    suff = {q: float(np.mean([r["sufficiency"][q] for r in rows])) for q in PERCENTS}
    return {
        "sentences": len(rows),
        "deletion_aopc": float(np.mean([r["deletion_aopc"] for r in rows])),
        "insertion_aopc": float(np.mean([r["insertion_aopc"] for r in rows])),
        "comprehensiveness": comp, "comprehensiveness_mean": float(np.mean(list(comp.values()))),
        "sufficiency": suff, "sufficiency_mean": float(np.mean(list(suff.values()))),
        "deletion_curve": np.mean([r["deletion_curve"] for r in rows], 0).tolist(),
        "insertion_curve": np.mean([r["insertion_curve"] for r in rows], 0).tolist(),
        "grid": GRID.tolist(),
    }
