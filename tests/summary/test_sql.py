"""The views' SQL (``wordinfo.summary.sql``, run by ``Workspace``): each word's category, and when it is forgotten."""

from __future__ import annotations

import numpy as np

from wordinfo import Explanation
from wordinfo.summary import Workspace
from wordinfo.words import WordMap


def test_word_categories(corpus_runs):
    with Workspace([corpus_runs[0]]) as ws:
        df = ws.query("SELECT lower(word) AS w, any_value(category) AS c FROM words GROUP BY lower(word)")
    cat = dict(zip(df["w"], df["c"]))
    assert cat["[cls]"] == cat["[sep]"] == "special"
    assert cat["the"] == cat["of"] == "stop word"
    assert cat["good"] == cat["great"] == cat["funny"] == "positive"
    assert cat["bad"] == cat["boring"] == "negative"
    assert cat[","] == cat["."] == cat["<"] == "punctuation"
    assert cat["film"] == cat["plot"] == "other"


def test_forgotten_at_follows_its_definition(tmp_path):
    """Words with known bits kept per layer: forgotten at the first layer from which they stay <= half their best."""
    width, scale = 1, 1.0
    kept = np.array([[10, 2, 10], [4, 6, 9], [3, 2, 3]], dtype=float)        # layers x words
    sigma = scale * 2.0 ** (-kept / width)
    exp = Explanation("toy", "tokens", ["1", "2", "3"], ["x y z"], [WordMap(["x", "y", "z"], ["x", "y", "z"],
                      [0, 1, 2], [False] * 3)], [sigma], width, scale, [np.ones(3)], [np.ones(3, bool)], {})
    with Workspace([exp]) as ws:
        df = ws.query("SELECT word, forgotten_at FROM forgetting ORDER BY word_index")
    # x: 10, 4, 3 -> layer 2 (4 <= 5 and 3 <= 5); y: 2, 6, 2 -> layer 3; z: 10, 9, 3 -> layer 3
    assert df["forgotten_at"].tolist() == [2, 3, 3]
    with Workspace([exp], fraction=0.35) as ws:
        df = ws.query("SELECT forgotten_at FROM forgetting ORDER BY word_index")
    assert df["forgotten_at"].tolist() == [3, 3, 3]
