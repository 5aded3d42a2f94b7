"""A run directory on disk (``wordinfo.runs.store``): one writer at a time, parts written whole or not at all."""

from __future__ import annotations

import os

import pytest

from helpers.corpus import sentences, write_tsv
from wordinfo import WordinfoError
from wordinfo.runs import run_corpus, store


def test_a_second_writer_is_refused(tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(3))
    (tmp_path / "r").mkdir()
    with store.Lock(tmp_path / "r"), pytest.raises(WordinfoError, match="another wordinfo run"):
        run_corpus(data, tmp_path / "r", model=str(tiny_bert_dir), solver="fast", progress=False, log=lambda m: None)


def test_atomic_write_leaves_nothing_when_interrupted(tmp_path, monkeypatch):
    import pyarrow as pa
    (tmp_path / "parts").mkdir()

    def boom(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write_part(tmp_path, pa.table({"sentence": [0]}), 0, 0)
    assert list((tmp_path / "parts").iterdir()) == []
    assert store.done_ranges(tmp_path) == []
