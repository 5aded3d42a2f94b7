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


def test_a_run_of_the_previous_format_is_still_read(corpus_runs, tmp_path):
    """A wordinfo.run/2 directory (no pair, segment or from_layer columns) opens in summary, query and explanation:
    from_layer reads 0, segment 0, pair null; resuming it is refused (the format is part of the manifest)."""
    import json
    import shutil

    import pyarrow.parquet as pq

    from wordinfo.runs import Run
    old = tmp_path / "old"
    shutil.copytree(corpus_runs[0].path, old, ignore=shutil.ignore_patterns(".lock"))
    for part in store.part_files(old):
        table = pq.read_table(part)
        pq.write_table(table.drop_columns(["pair", "segment", "from_layer"]), part)
    manifest = json.loads((old / "manifest.json").read_text())
    (old / "manifest.json").write_text(json.dumps({**manifest, "format": "wordinfo.run/2"}))
    run = Run(old)
    df = run.sql("SELECT DISTINCT from_layer, segment, pair FROM tokens")
    assert df.to_dict("records") == [{"from_layer": 0, "segment": 0, "pair": None}]
    assert run.sql("SELECT DISTINCT from_layer FROM words")["from_layer"].tolist() == [0]
    assert run.explanation([0]).pair(0) is None
    data = corpus_runs[0].manifest["data"]["path"]
    with pytest.raises(WordinfoError, match="format"):
        run_corpus(data, old, model=corpus_runs[0].manifest["model"]["name"], solver="fast", part_size=10,
                   progress=False, log=lambda m: None)
