"""Worker processes (``wordinfo.workers``): the same answers as one process, in the same order, and clear errors
where they cannot work."""

from __future__ import annotations

import numpy as np

import wordinfo
from helpers.corpus import sentences, write_tsv
from helpers.errors import one_line_error
from helpers.threads import one_thread
from wordinfo.runs import run_corpus


def test_explain_on_two_workers_equals_one_process(tiny_bert_dir):
    texts = sentences(7, seed=3)
    with one_thread():          # the workers run one thread each: the same arithmetic, the same numbers
        alone = wordinfo.explain(texts, str(tiny_bert_dir), solver="fast")
        shared = wordinfo.explain(texts, str(tiny_bert_dir), solver="fast", workers=2)
    assert shared.texts == alone.texts and shared.words() == alone.words()
    for a, b in zip(alone.sigma, shared.sigma):
        np.testing.assert_array_equal(a, b)


def test_run_on_two_workers_writes_the_rows_one_process_writes(tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(9))
    kwargs = dict(model=str(tiny_bert_dir), solver="fast", part_size=4, progress=False, log=lambda m: None)
    with one_thread():
        one = run_corpus(data, tmp_path / "one", **kwargs)
        two = run_corpus(data, tmp_path / "two", workers=2, **kwargs)
    assert two.manifest["workers"] == 2 and (two.done, two.total) == (9, 9)
    a, b = one.explanation(list(range(9))), two.explanation(list(range(9)))
    assert a.texts == b.texts
    for x, y in zip(a.sigma, b.sigma):
        np.testing.assert_allclose(x, y, rtol=1e-6)


def test_workers_that_cannot_work_say_why(tiny_bert, tiny_bert_dir):
    model, tokenizer = tiny_bert
    assert "whole number" in one_line_error(wordinfo.explain, "a film", str(tiny_bert_dir), workers=0)
    msg = one_line_error(wordinfo.explain, "a film", model, tokenizer, workers=2)
    assert "model directory" in msg and "workers=1" in msg
