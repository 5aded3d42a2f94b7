"""What every method shares (``wordinfo.baselines.base`` and the registry of ``wordinfo.baselines``): a word the model
ignores scores zero, word pieces add up to their word, an unknown method is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.baseline_toys import LinearToy, scores, toy_context
from wordinfo.baselines import make_methods
from wordinfo.errors import WordinfoError


@pytest.mark.parametrize("name", ["erasure", "saliency", "input_x_gradient", "integrated_gradients"])
def test_a_word_the_model_ignores_scores_zero(name):
    ctx = toy_context(LinearToy(ignore=2))                                   # token 2 = the second word
    values = scores(ctx, name)
    np.testing.assert_allclose(values[:, 1], 0.0, atol=1e-6)
    assert np.abs(values[:, [0, 2, 3, 4]]).max() > 1e-3


def test_word_pieces_add_up_through_the_word_map(bert):
    s = bert.sentence("an unbelievably good film")
    assert len(s.word_map.tokens) > len(s.word_map.words)                # 'unbelievably' is several pieces
    sal = make_methods("saliency")[0]
    tokens = sal.token_scores(bert, s, bert.targets, seed=0)
    words = sal.explain(bert, s).values
    pieces = [t for t, w in enumerate(s.word_map.token_word) if w == s.words[1]]
    np.testing.assert_allclose(words[:, 1], tokens[:, pieces].sum(1), rtol=1e-5)
    assert words.shape == (3, 4) and np.isfinite(words).all()


def test_unknown_method_is_a_clear_error():
    with pytest.raises(WordinfoError, match="unknown method 'gradcam'"):
        make_methods("saliency,gradcam")


def test_the_method_registry_names_each_class_by_its_own_name():
    from wordinfo.baselines import METHODS
    assert list(METHODS) == ["wordinfo", "saliency", "input_x_gradient", "integrated_gradients", "lrp", "erasure",
                             "attention", "attention_rollout", "information_bottleneck", "random"]
    assert all(METHODS[name].name == name for name in METHODS)
