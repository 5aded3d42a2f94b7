"""Worker processes: the same answers as one process, in the same order, and clear errors where they cannot work."""

from __future__ import annotations

import numpy as np
import pytest

import wordinfo
from _corpus import one_thread, save_tiny_bert, sentences, write_tsv
from _errors import one_line_error
from wordinfo.runs import run_corpus


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


def test_explain_on_two_workers_equals_one_process(model_dir):
    texts = sentences(7, seed=3)
    with one_thread():          # the workers run one thread each: the same arithmetic, the same numbers
        alone = wordinfo.explain(texts, str(model_dir), solver="fast")
        shared = wordinfo.explain(texts, str(model_dir), solver="fast", workers=2)
    assert shared.texts == alone.texts and shared.words() == alone.words()
    for a, b in zip(alone.sigma, shared.sigma):
        np.testing.assert_array_equal(a, b)


def test_run_on_two_workers_writes_the_rows_one_process_writes(tmp_path, model_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(9))
    kwargs = dict(model=str(model_dir), solver="fast", part_size=4, progress=False, log=lambda m: None)
    with one_thread():
        one = run_corpus(data, tmp_path / "one", **kwargs)
        two = run_corpus(data, tmp_path / "two", workers=2, **kwargs)
    assert two.manifest["workers"] == 2 and (two.done, two.total) == (9, 9)
    a, b = one.explanation(list(range(9))), two.explanation(list(range(9)))
    assert a.texts == b.texts
    for x, y in zip(a.sigma, b.sigma):
        np.testing.assert_allclose(x, y, rtol=1e-6)


def test_workers_that_cannot_work_say_why(tiny_bert, model_dir):
    model, tokenizer = tiny_bert
    assert "whole number" in one_line_error(wordinfo.explain, "a film", str(model_dir), workers=0)
    msg = one_line_error(wordinfo.explain, "a film", model, tokenizer, workers=2)
    assert "model directory" in msg and "workers=1" in msg
