"""A run directory on disk (``wordinfo.runs.store``): one writer at a time, parts written whole or not at all."""

from __future__ import annotations

import json
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


def test_only_what_a_killed_writer_leaves_is_removed(corpus_runs, tmp_path):
    """Leftovers are recognised by write_atomic's own temporary names (and checksum files without their part);
    a user's files that merely end in .tmp, or a folder, stay."""
    import shutil
    run = tmp_path / "run"
    shutil.copytree(corpus_runs[0].path, run, ignore=shutil.ignore_patterns(".lock"))
    ours = [run / "parts" / ".part-000000000-000000009.parquet.4242.tmp", run / ".manifest.json.17.tmp",
            run / "parts" / ".part-000000030-000000039.json.5.tmp", run / "parts" / "part-000000030-000000039.json"]
    theirs = [run / "parts" / "notes.tmp", run / "parts" / ".hidden.tmp", run / "mine.tmp", run / ".x.1.tmp",
              run / "parts" / ".part-000000000-000000009.parquet.tmp"]
    for p in ours + theirs:
        p.write_text("x")
    (run / "parts" / "kept.tmp").mkdir()
    assert store.leftovers(run) == sorted(ours)
    assert store.remove_leftovers(run) == len(ours)
    assert all(p.exists() for p in theirs) and (run / "parts" / "kept.tmp").is_dir()
    assert not any(p.exists() for p in ours)


def test_a_folder_without_a_manifest_is_not_a_run(tmp_path, tiny_bert_dir):
    """Only a manifest makes a directory a run: a folder holding only a parts/ folder (with a user's .tmp file in
    it) is refused and keeps every file; a folder holding only the lock of a run killed before its manifest is
    taken."""
    data = write_tsv(tmp_path / "c.tsv", sentences(2))
    out = tmp_path / "parts-only"
    (out / "parts").mkdir(parents=True)
    (out / "parts" / "mine.tmp").write_text("a user's file")
    with pytest.raises(WordinfoError, match="not a wordinfo run"):
        run_corpus(data, out, model=str(tiny_bert_dir), solver="fast", progress=False, log=lambda m: None)
    assert (out / "parts" / "mine.tmp").read_text() == "a user's file"
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / ".lock").write_text("12345\n")
    assert run_corpus(data, locked, model=str(tiny_bert_dir), solver="fast", progress=False,
                      log=lambda m: None).complete
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / ".lock").write_text("a user's lock file, not a pid")
    with pytest.raises(WordinfoError, match="not a wordinfo run"):
        run_corpus(data, tmp_path / "other", model=str(tiny_bert_dir), solver="fast", progress=False,
                   log=lambda m: None)


@pytest.mark.parametrize("edit, fragment", [
    (lambda m: m.pop("model"), "'model.name' is missing"),
    (lambda m: m["model"].update(width="wide"), "'model.width' must be a whole number"),
    (lambda m: m.update(layers="all"), "'layers' must be a list"),
    (lambda m: m["settings"].update(scale=-1), "'settings.scale' must be a number > 0"),
    (lambda m: m["data"].pop("rows"), "'data.rows' is missing"),
    (lambda m: m.update(limit="ten"), "'limit' must be null or a whole number"),
    (lambda m: m.update(format="wordinfo.run/9"), "is not a wordinfo.run/4 manifest"),
])
def test_a_manifest_edited_by_hand_is_one_line_naming_the_field(corpus_runs, tmp_path, edit, fragment):
    import shutil

    from helpers.errors import one_line_error
    from wordinfo.runs import Run
    run = tmp_path / "run"
    shutil.copytree(corpus_runs[0].path, run, ignore=shutil.ignore_patterns(".lock"))
    manifest = json.loads((run / "manifest.json").read_text())
    edit(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert fragment in one_line_error(Run, run)


def test_a_manifest_saved_with_a_byte_order_mark_is_read(corpus_runs, tmp_path):
    """An editor that saves UTF-8 with a BOM (Notepad) leaves a manifest wordinfo still reads."""
    import shutil

    from wordinfo.runs import Run
    run = tmp_path / "run"
    shutil.copytree(corpus_runs[0].path, run, ignore=shutil.ignore_patterns(".lock"))
    (run / "manifest.json").write_text((run / "manifest.json").read_text(), encoding="utf-8-sig")
    assert Run(run).done == 24
