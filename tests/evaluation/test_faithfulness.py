"""Faithfulness (``wordinfo.evaluation.faithfulness``) on a linear toy, where deleting a word has a known effect."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.baseline_toys import LinearToy, ToyEncoder
from wordinfo.baselines import Context, make_methods
from wordinfo.evaluation.faithfulness import faithfulness

TEXTS = ["3 1 4 1 5 9 2 6", "9 2 6 5 3 5", "8 9 7 9 3", "2 7 1 8 2 8"]


@pytest.fixture(scope="module")
def linear():
    enc = ToyEncoder(LinearToy(width=6), width=6)
    return Context(enc, enc.targets("all", "tokens") + enc.targets(None, "logits"), TEXTS)


def exact_effects(ctx, sentence):
    """What deleting each word does to the predicted class's centred logit: exact for a linear model."""
    toy, target = ctx.encoder.model, ctx.targets[-1]
    with torch.no_grad():
        c = int(toy(sentence.x, sentence.mask, target)[0].argmax())
        direction = toy.a[:, c] - toy.a.mean(1)
        return ((sentence.x[0] - sentence.reference[0]) @ direction).numpy()[1:-1]


def test_erasure_is_exact_on_a_linear_model_and_its_ordering_is_the_most_faithful(linear):
    s = linear.sentence(TEXTS[0])
    effects = exact_effects(linear, s)
    erasure = make_methods("erasure")[0].explain(linear, s).values[-1]
    np.testing.assert_allclose(erasure, effects, rtol=1e-4, atol=1e-6)
    perfect = faithfulness(linear, s, effects)
    reverse = faithfulness(linear, s, -effects)
    rng = np.random.default_rng(0)
    random = [faithfulness(linear, s, rng.random(len(effects))) for _ in range(8)]
    for key in ("deletion_aopc", "insertion_aopc"):
        assert perfect[key] > np.mean([r[key] for r in random]) > reverse[key]
    assert perfect["comprehensiveness"][50] > reverse["comprehensiveness"][50]
    assert perfect["sufficiency"][50] < reverse["sufficiency"][50]
    assert perfect["deletion_curve"][0] == pytest.approx(perfect["p_full"])           # nothing deleted yet
    assert perfect["deletion_curve"][-1] == pytest.approx(perfect["p_empty"])         # everything deleted


def test_comprehensiveness_counts_words_by_percent(linear):
    s = linear.sentence(TEXTS[0])                                        # 8 words
    scores = np.arange(8.0)[::-1]                                        # word 0 first
    got = faithfulness(linear, s, scores)
    keep = np.ones((2, 8), dtype=bool)
    keep[0, 0] = False                                                   # 1% .. 10% -> one word
    keep[1, :4] = False                                                  # 50% -> four words
    p = linear.predict_proba(s, s.replace_words(np.concatenate([np.ones((1, 8), bool), keep])))
    c = int(p[0].argmax())
    assert got["comprehensiveness"][1] == pytest.approx(float(p[0, c] - p[1, c]), abs=1e-6)
    assert got["comprehensiveness"][50] == pytest.approx(float(p[0, c] - p[2, c]), abs=1e-6)
