"""The summary tables (``wordinfo.summary.tables``) of two corpus runs, parts of speech when a tagger is there."""

from __future__ import annotations

import numpy as np
import pytest

from wordinfo import WordinfoError
from wordinfo.summary import summarize


def test_summary_tables(corpus_runs):
    a, b, _ = corpus_runs
    tables = summarize([a.path, b.path], min_count=2, pos=False)
    assert list(tables) == ["layers", "categories", "words", "forgetting", "forgetting_words"]
    layers = tables["layers"]
    assert layers["layer"].tolist() == ["1", "2", "3"]
    assert np.isnan(layers.loc[1, "kept [tiny-1-3]"]) and not np.isnan(layers.loc[0, "kept [tiny-1-3]"])
    # the same sentences and layers give the same means, whichever run they come from
    assert layers.loc[0, "kept [tiny-all]"] == pytest.approx(layers.loc[0, "kept [tiny-1-3]"])
    cats = tables["categories"]
    assert {c.split(" (")[0] for c in cats.columns[2:]} <= {"special", "punctuation", "stop word", "positive",
                                                            "negative", "other"}
    assert {"special", "stop word", "positive", "negative"} <= {c.split(" (")[0] for c in cats.columns}
    assert len(tables["words"]) == 10 * 5          # top 10 per (run, layer), 3 + 2 layers
    assert set(tables["forgetting"]["run"]) == {"tiny-all", "tiny-1-3"}


def test_parts_of_speech_when_a_tagger_is_there(corpus_runs, monkeypatch):
    import wordinfo.summary.wordlists as summary
    monkeypatch.setattr(summary, "pos_tagger", lambda: ("fake", lambda words: ["NOUN" if w.isalpha() else "PUNCT"
                                                                              for w in words]))
    tables = summarize([corpus_runs[0]], tables=["pos"], pos="auto")
    assert set(tables["pos"].columns) == {"run", "layer", "NOUN", "PUNCT"}
    monkeypatch.setattr(summary, "pos_tagger", lambda: None)
    assert summarize([corpus_runs[0]], tables=["pos"], pos="auto") == {}
    with pytest.raises(WordinfoError, match="tagger"):
        summarize([corpus_runs[0]], tables=["pos"], pos=True)
