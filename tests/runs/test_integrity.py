"""Whether a run directory is whole (``wordinfo.runs.integrity``): a part cut short, rewritten or stripped of its
checksum is found, named by summary, query, report and verify, set aside and explained again by a resume, which
then has the rows of a clean run; overlapping parts are refused; older runs read as "not verifiable".

The model is a tiny random BERT classifier; ``--solver fast`` keeps every run to seconds.
"""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from helpers.cli import assert_clean_error
from helpers.corpus import sentences, write_tsv
from helpers.errors import one_line_error
from helpers.threads import one_thread
from wordinfo.cli import app
from wordinfo.report import build_report
from wordinfo.runs import Run, integrity, run_corpus, store


def _run(data, out, model, logs=None, **extra):
    with one_thread():
        return run_corpus(data, out, model=str(model), solver="fast", part_size=3, progress=False,
                          log=(logs.append if logs is not None else lambda m: None), **extra)


def _rows(rundir) -> pd.DataFrame:
    df = pd.concat([pq.read_table(f).to_pandas() for f in store.part_files(rundir)], ignore_index=True)
    return df.sort_values(["sentence", "layer", "position"], kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, tiny_bert_dir):
    """A clean run of 10 sentences in parts of 3 (0-2, 3-5, 6-8, 9) and its data file."""
    tmp = tmp_path_factory.mktemp("clean")
    data = write_tsv(tmp / "corpus.tsv", sentences(10))
    return _run(data, tmp / "clean", tiny_bert_dir), data


def test_every_part_has_its_checksum_file_before_it_appears(clean, tmp_path, monkeypatch):
    run, _ = clean
    for part in run.files():
        record = json.loads(store.checksum_path(part).read_text())
        assert record["part"] == part.name and record["rows"] == pq.read_metadata(part).num_rows
        assert record["bytes"] == part.stat().st_size and len(record["sha256"]) == 64
    seen = []
    real = os.replace

    def spy(src, dst):          # at the part's rename, its checksum file is already in place
        if str(dst).endswith(".parquet"):
            seen.append(store.checksum_path(type(tmp_path)(dst)).is_file())
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    (tmp_path / "parts").mkdir()
    store.write_part(tmp_path, pq.read_table(run.files()[0]), 0, 2)
    assert seen == [True]
    assert integrity.verify(run.path).ok and run.verify().lines()[0].endswith("checksums match")


def test_a_damaged_part_is_found_named_set_aside_and_explained_again(clean, tmp_path, tiny_bert_dir):
    ref, data = clean
    out = tmp_path / "run"
    shutil.copytree(ref.path, out)
    a, b, c, d = store.part_files(out)
    a.write_bytes(a.read_bytes()[: a.stat().st_size // 2])                    # cut short
    table = pq.read_table(b)                                                   # rewritten: valid Parquet, other values
    pq.write_table(table.set_column(table.schema.get_field_index("sigma"), "sigma",
                                    pc.multiply(table.column("sigma"), 2.0)), b, compression="zstd")
    store.checksum_path(c).unlink()                                            # its checksum file lost
    raw = bytearray(d.read_bytes())
    raw[len(raw) // 2] ^= 0xFF                                                 # one byte flipped, same size
    d.write_bytes(bytes(raw))

    found = Run(out).verify()
    reasons = dict((p.name, why) for p, why in found.damaged)
    assert not found.ok and set(reasons) == {a.name, b.name, c.name, d.name}
    assert "bytes where its checksum file says" in reasons[a.name]
    assert "SHA-256 does not match" in reasons[b.name] or "bytes where" in reasons[b.name]   # size may differ too
    assert "no checksum file" in reasons[c.name]
    assert "SHA-256 does not match" in reasons[d.name]
    r = CliRunner().invoke(app, ["verify", str(out)])
    assert r.exit_code == 1 and f"damaged: {a.name}" in r.stdout and "explains their sentences again" in r.stdout

    # every reader refuses, in one line naming the part
    for args in (["summary", str(out)], ["query", str(out), "SELECT count(*) FROM words"],
                 ["report", str(out), "-o", str(tmp_path / "r.html")]):
        assert_clean_error(CliRunner().invoke(app, args), a.name, "damaged", "wordinfo verify")
    assert a.name in one_line_error(Run(out).explanation, [0])
    assert a.name in one_line_error(Run(out).sql, "SELECT 1")
    assert not (tmp_path / "r.html").exists()

    logs = []
    resumed = _run(data, out, tiny_bert_dir, logs)
    said = [m for m in logs if "is damaged" in m]
    assert len(said) == 4 and all("explained again" in m and "damaged/" in m for m in said), logs
    assert sorted(p.name for p in (out / "damaged").iterdir()) == sorted(
        [a.name, b.name, c.name, d.name] + [store.checksum_path(x).name for x in (a, b, d)])   # kept, not deleted
    assert resumed.verify().ok and resumed.complete
    pd.testing.assert_frame_equal(_rows(out), _rows(ref.path))                 # row for row a clean run
    r = CliRunner().invoke(app, ["verify", str(out), str(ref.path)])
    assert r.exit_code == 0 and "set aside earlier: damaged/" in r.stdout


def test_parts_holding_the_same_sentences_are_refused(clean, tmp_path, tiny_bert_dir):
    ref, data = clean
    out = tmp_path / "run"
    shutil.copytree(ref.path, out)
    first = store.part_files(out)[0]
    table = pq.read_table(first)
    store.write_part(out, table.filter(pq.read_table(first).column("sentence").to_numpy() <= 1), 0, 1)
    found = Run(out).verify()
    assert found.damaged == [] and [(x.name, y.name) for x, y in found.overlaps] == [
        ("part-000000000-000000001.parquet", first.name)]
    assert "hold the same sentences" in one_line_error(Run(out).sql, "SELECT 1")
    assert "hold the same sentences" in one_line_error(_run, data, out, tiny_bert_dir)
    assert len(store.part_files(out)) == 5, "a refused resume moves nothing"


def test_a_run_of_the_previous_format_is_not_verifiable_but_read(clean, tmp_path):
    ref, _ = clean
    old = tmp_path / "old"
    shutil.copytree(ref.path, old)
    for part in store.part_files(old):
        store.checksum_path(part).unlink()
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["calibration"]
    (old / "manifest.json").write_text(json.dumps({**manifest, "format": "wordinfo.run/3"}))
    r = CliRunner().invoke(app, ["verify", str(old)])
    assert r.exit_code == 0 and "not verifiable" in r.stdout and "written before checksums" in r.stdout
    assert Run(old).sql("SELECT count(DISTINCT sentence) AS n FROM tokens")["n"][0] == 10
    last = store.part_files(old)[-1]
    last.write_bytes(b"PAR1 not really")               # an old part that no longer opens: one line all the same
    assert last.name in one_line_error(build_report, [old], tmp_path / "r.html")
