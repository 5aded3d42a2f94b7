"""The registry of values shown for a word (``wordinfo.values``): its keys are what an Explanation computes, its
directions hold on the numbers, and an unknown value is one line naming the choices."""

from __future__ import annotations

import numpy as np
import pytest

import wordinfo.explanation
from helpers.errors import one_line_error
from wordinfo import Explanation, values
from wordinfo.words import WordMap


@pytest.fixture(scope="module")
def graded():
    """One layer, three words whose sigma grows (0.1, 0.2, 0.4) under a bound of 0.5, each as far from its concept's
    words (r_{i,c}): each value's direction known."""
    sigma = np.array([[0.1, 0.2, 0.4]])
    wm = WordMap(["x", "y", "z"], ["x", "y", "z"], [0, 1, 2], [False] * 3)
    return Explanation("toy", "tokens", ["1"], ["x y z"], [wm], [sigma], 4, 0.5, [np.ones(1)], [np.ones(1, bool)], {},
                       sigma_se=[np.full((1, 3), 0.01)], concept={"name": "toy", "words": ["w"]},
                       concept_sq_distance=[np.full(3, 2.0)])


def test_the_registry_and_the_explanation_name_the_same_values(graded):
    assert set(values.BY_KEY) == set(wordinfo.explanation.VALUES)
    assert len(values.BY_KEY) == len(values.VALUES)                    # one key per name
    for name, v in values.VALUES.items():
        assert v.name == name and values.value(name) is v and values.value(v.key) is v
        assert graded.token_values(v.key).shape == (1, 3), name
        assert graded.token_errors(v.key).shape == (1, 3), name
        assert graded.word_values(v.key).shape == (1, 3), name
    assert values.CORPUS_VALUES == tuple(n for n, v in values.VALUES.items() if v.in_bits and v.corpus)
    assert "concept" not in values.CORPUS_VALUES          # runs hold no concept: the summary and report leave it out


def test_each_values_direction_holds_on_the_numbers(graded):
    """Sigma grows along the words: a value where 'higher' means forgotten grows too, 'kept' falls."""
    for name, v in values.VALUES.items():
        steps = np.diff(graded.token_values(v.key)[0])
        assert np.all(steps > 0 if v.higher == "forgotten" else steps < 0), (name, steps)


def test_an_unknown_value_is_one_line_naming_the_choices():
    msg = one_line_error(values.value, "entropy")
    assert "unknown value 'entropy'" in msg and "kept, bits, sigma, centered" in msg
    msg = one_line_error(values.value, "sigma", values.CORPUS_VALUES)
    assert "use one of kept, bits" in msg and "sigma" not in msg.split("use one of")[1]
    assert values.value("retained_bits", values.CORPUS_VALUES).name == "kept"


def test_labels_and_help_come_from_the_registry():
    assert values.label("kept") == values.label("retained_bits") == values.VALUES["kept"].label
    assert values.label("not a value") == "not a value"
    assert values.choices_help(("kept", "sigma")) == f"kept: {values.VALUES['kept'].help}; " \
                                                     f"sigma: {values.VALUES['sigma'].help}"
