"""A job on Ray actors (``wordinfo.pool``): ``explain(workers=N)`` gives the answers of one process in the same
order, and says in one line why it cannot work. Skipped, saying so, where Ray is not installed."""

from __future__ import annotations

import numpy as np
import pytest

import wordinfo
from helpers.corpus import sentences
from helpers.errors import one_line_error
from helpers.threads import one_thread


def test_explain_on_two_workers_equals_one_process(tiny_bert_dir):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'wordinfo[ray]' runs these tests")
    texts = sentences(7, seed=3)
    with one_thread():          # the actors run one thread each: the same arithmetic, the same numbers
        alone = wordinfo.explain(texts, str(tiny_bert_dir), solver="fast")
        shared = wordinfo.explain(texts, str(tiny_bert_dir), solver="fast", workers=2)   # a local Ray instance
    assert shared.texts == alone.texts and shared.words() == alone.words()
    for a, b in zip(alone.sigma, shared.sigma):
        np.testing.assert_array_equal(a, b)


def test_explain_on_a_cluster(ray_cluster, tiny_bert_dir):
    """(Corpus runs on a cluster: tests/runs/test_cluster.py.)"""
    texts = sentences(5, seed=4)
    with one_thread():
        alone = wordinfo.explain(texts, str(tiny_bert_dir), solver="fast")
        there = wordinfo.explain(texts, str(tiny_bert_dir), solver="fast", ray=ray_cluster[0])
    for a, b in zip(alone.sigma, there.sigma):
        np.testing.assert_array_equal(a, b)


def test_workers_that_cannot_work_say_why(tiny_bert, tiny_bert_dir, monkeypatch):
    model, tokenizer = tiny_bert
    assert "whole number" in one_line_error(wordinfo.explain, "a film", str(tiny_bert_dir), workers=0)
    msg = one_line_error(wordinfo.explain, "a film", model, tokenizer, workers=2)
    assert "model directory" in msg and "workers=1" in msg
    import sys
    monkeypatch.setitem(sys.modules, "ray", None)             # as if Ray were not installed
    msg = one_line_error(wordinfo.explain, "a film", str(tiny_bert_dir), workers=2)
    assert "Ray is not installed" in msg and "wordinfo[ray]" in msg
