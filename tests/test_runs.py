"""``wordinfo run``: reading corpora, the run directory, and resuming after SIGKILL without loss or duplicates.

The model is a tiny random BERT classifier saved to a temporary directory with the
bundled MiniLM tokenizer; ``--solver fast`` keeps every run to seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from _corpus import SCRIPT, one_thread, save_tiny_bert, sentences, write_tsv
from wordinfo import WordinfoError
from wordinfo.cli import app
from wordinfo.corpus import open_spec, rows
from wordinfo.runs import Run, run_corpus, store

EXE = Path(sys.executable).with_name("wordinfo")
N = 120                  # sentences in the kill test: long enough to be killed mid-run


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


def _env_for_subprocess(cache):
    return {**os.environ, "WORDINFO_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


def _all_rows(rundir: Path) -> pd.DataFrame:
    df = pd.concat([pq.read_table(f).to_pandas() for f in store.part_files(rundir)], ignore_index=True)
    return df.sort_values(["sentence", "layer", "position"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- the must-show test

def test_sigkill_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path, model_dir, cache):
    data = write_tsv(tmp_path / "corpus.tsv", sentences(N))
    env = _env_for_subprocess(cache)
    cmd = [str(EXE), "run", "--data", str(data), "--model", str(model_dir), "--solver", "fast", "--part-size", "4",
           "--no-progress"]

    with one_thread():      # the uninterrupted run, in this process (one thread, like the subprocesses)
        run_corpus(data, tmp_path / "ref", model=str(model_dir), solver="fast", part_size=4, progress=False,
                   log=lambda m: None)

    out = tmp_path / "killed"
    proc = subprocess.Popen(cmd + ["--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 90
    while len(store.part_files(out)) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_at = len(store.part_files(out))
    assert 3 <= killed_at < N // 4, "killed mid-run: some parts written, not all"
    # what a kill in the middle of writing a part leaves behind: a half-written temporary file
    (out / "parts" / f".part-{N - 4:09d}-{N - 1:09d}.parquet.99999.tmp").write_bytes(b"PAR1 half a file")

    resumed = subprocess.run(cmd + ["--out", str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr and "unfinished file(s) removed" in resumed.stderr
    assert not [p for p in (out / "parts").iterdir() if p.name.endswith(".tmp")]

    ranges = store.done_ranges(out)
    covered = [i for a, b in ranges for i in range(a, b + 1)]
    assert covered == list(range(N)), "part ranges must tile the corpus once, in order"
    got, want = _all_rows(out), _all_rows(tmp_path / "ref")
    per_token = got.groupby(["sentence", "layer", "position"]).size()
    assert (per_token == 1).all(), "a sentence was written twice"
    assert sorted(got["sentence"].unique()) == list(range(N)), "a sentence was lost"
    pd.testing.assert_frame_equal(got, want)
    assert Run(out).complete and Run(out).done == N


def test_mismatching_manifest_is_refused(tmp_path, model_dir):
    data = write_tsv(tmp_path / "corpus.tsv", sentences(6))
    with one_thread():
        run_corpus(data, tmp_path / "run", model=str(model_dir), solver="fast", progress=False, log=lambda m: None)
    before = sorted(p.name for p in store.part_files(tmp_path / "run"))
    base = ["run", "--data", str(data), "--model", str(model_dir), "--out", str(tmp_path / "run"), "--no-progress"]
    other = write_tsv(tmp_path / "other.tsv", sentences(6, seed=1))
    for extra, fragments in [(["--solver", "default"], ["settings.solver", "'fast' -> 'default'"]),
                             (["--solver", "fast", "--lam", "0.2"], ["settings.lam"]),
                             (["--solver", "fast", "--layers", "1,2"], ["layers"])]:
        with one_thread():
            result = CliRunner().invoke(app, base + extra)
        lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
        assert result.exit_code == 2, result.output
        assert len(lines) == 1 and "holds a different run" in lines[0] and "--out" in lines[0]
        for f in fragments:
            assert f in lines[0]
    args = ["run", "--data", str(other), "--model", str(model_dir), "--out", str(tmp_path / "run"), "--solver", "fast"]
    with one_thread():
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "data.hash" in result.stderr
    assert sorted(p.name for p in store.part_files(tmp_path / "run")) == before, "a refused run writes nothing"


# ---------------------------------------------------------------- run directory behaviour

def test_limit_then_raise_it_continues_and_results_hold_metadata(tmp_path, model_dir):
    texts = sentences(10)
    data = write_tsv(tmp_path / "c.tsv", texts)
    kwargs = dict(model=str(model_dir), solver="fast", part_size=3, progress=False, log=lambda m: None)
    with one_thread():
        first = run_corpus(data, tmp_path / "r", limit=4, **kwargs)
        assert (first.done, first.total, first.complete) == (4, 4, True)
        run = run_corpus(data, tmp_path / "r", **kwargs)
    assert (run.done, run.total) == (10, 10)
    assert store.done_ranges(tmp_path / "r") == [(0, 2), (3, 3), (4, 6), (7, 9)]
    m = run.manifest
    assert m["model"]["fingerprint"] and m["model"]["has_head"] and m["data"]["hash"].startswith("blake2b:")
    assert m["data"]["rows"] == 10 and m["settings"]["solver"] == "fast" and m["wordinfo_version"]
    df = _all_rows(tmp_path / "r")
    assert set(df.columns) >= {"sentence", "layer", "token", "word", "special", "sigma", "bits", "label",
                               "prediction", "text", "log_sigma_se", "sigma_se", "bits_se", "word_bits_se"}
    assert (df["log_sigma_se"] > 0).all() and (df["word_bits_se"] >= df["bits_se"] - 1e-9).all()
    # the run reads back with its error bars
    np.testing.assert_allclose(run.explanation([1]).sigma_se[0].ravel(),
                               first_sentence_se(df), rtol=1e-12)
    first_sentence = df[df["sentence"] == 1]
    assert first_sentence["text"].iloc[0] == SCRIPT and first_sentence["label"].iloc[0] == "1"
    assert first_sentence["prediction"].notna().all()
    assert set(first_sentence["layer"]) == {1, 2, 3}
    assert first_sentence.loc[first_sentence["position"] == 0, "special"].all()      # [CLS]

    # the Parquet reads back into the same Explanation the model gives
    exp = run.explanation([1])
    assert exp.texts == [SCRIPT] and exp.layers == ["1", "2", "3"]
    import wordinfo
    with one_thread():
        direct = wordinfo.explain(SCRIPT, str(model_dir), solver="fast")
    assert exp.words() == direct.words()
    assert abs(exp.sigma[0] - direct.sigma[0]).max() < 1e-6


def test_a_second_writer_is_refused(tmp_path, model_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(3))
    (tmp_path / "r").mkdir()
    with store.Lock(tmp_path / "r"), pytest.raises(WordinfoError, match="another wordinfo run"):
        run_corpus(data, tmp_path / "r", model=str(model_dir), solver="fast", progress=False, log=lambda m: None)


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


def test_bad_out_directories(tmp_path, model_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(3))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    for out, fragment in [(tmp_path / "busy", "not empty"), (tmp_path / "file", "is a file")]:
        result = CliRunner().invoke(app, ["run", "--data", str(data), "--out", str(out), "--model", str(model_dir)])
        assert result.exit_code == 2 and fragment in result.stderr, result.stderr


# ---------------------------------------------------------------- reading corpora

def test_tsv_columns_are_guessed_or_chosen(tmp_path):
    sst = write_tsv(tmp_path / "sst.tsv", ["a fine film", "dull"])
    spec = open_spec(sst)
    assert (spec.text, spec.label) == (1, 0)
    assert [(r.sentence, r.line, r.text, r.label) for r in rows(spec)] == [(0, 1, "a fine film", "0"),
                                                                          (1, 2, "dull", "1")]
    cola = tmp_path / "cola.tsv"
    cola.write_text("the book was read by me .\t1\n\nbook the read .\t0\n")
    spec = open_spec(cola)
    assert (spec.text, spec.label) == (0, 1)
    assert [(r.sentence, r.line) for r in rows(spec)] == [(0, 1), (1, 3)]      # blank lines are not sentences
    named = tmp_path / "named.tsv"
    named.write_text("id\tsentence\tgold\n7\tnice one\tpos\n")
    spec = open_spec(named, header=True, text="sentence", label="gold")
    assert [(r.text, r.label) for r in rows(spec)] == [("nice one", "pos")]
    assert open_spec(sst, label="none").label is None


def test_jsonl_and_text(tmp_path):
    j = tmp_path / "d.jsonl"
    j.write_text(json.dumps({"sentence": "so good", "label": 1}) + "\n" + json.dumps({"sentence": "meh"}) + "\n")
    spec = open_spec(j)
    assert (spec.text, spec.label) == ("sentence", "label")
    assert [(r.text, r.label) for r in rows(spec)] == [("so good", "1"), ("meh", None)]
    t = tmp_path / "d.txt"
    t.write_text("one line\n\n  two lines  \n")
    assert [r.text for r in rows(open_spec(t))] == ["one line", "two lines"]


@pytest.mark.parametrize("name, content, kwargs, fragment", [
    ("missing.tsv", None, {}, "not found"),
    ("d.csv", "a,b\n", {}, "--format"),
    ("d.tsv", "0\tok\n", {"text": "text"}, "--header"),
    ("d.tsv", "0\tok\n", {"text": "5"}, "out of range"),
    ("d.tsv", "a\tb\n0\tok\n", {"header": True, "text": "txt"}, "not a column"),
    ("d.jsonl", '{"body": "x"}\n', {}, "--text-col"),
    ("d.jsonl", "not json\n", {}, "not JSON"),
    ("d.txt", "x\n", {"text": "1"}, "no columns"),
])
def test_bad_data_gives_one_clear_error(tmp_path, name, content, kwargs, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(WordinfoError, match=fragment):
        open_spec(path, **kwargs)


def test_rows_with_problems_name_their_line(tmp_path):
    d = tmp_path / "d.tsv"
    d.write_text("0\tfine\n1\t \n")
    with pytest.raises(WordinfoError, match="line 2 .* empty text"):
        list(rows(open_spec(d, text="1")))
    short = tmp_path / "short.tsv"
    short.write_text("0\tfine\n1\n")
    with pytest.raises(WordinfoError, match="line 2 .* column"):
        list(rows(open_spec(short, text="1", label="0")))


def test_too_long_sentence_fails_before_any_work(tmp_path, model_dir):
    d = write_tsv(tmp_path / "d.tsv", ["short one", "word " * 600])
    result = CliRunner().invoke(app, ["run", "--data", str(d), "--out", str(tmp_path / "r"), "--model",
                                      str(model_dir), "--solver", "fast"])
    assert result.exit_code == 2
    assert "line 2 of d.tsv" in result.stderr and "--truncate" in result.stderr
    assert store.part_files(tmp_path / "r") == []


def first_sentence_se(df):
    """Sentence 1's log sigma errors from the Parquet rows, layer by layer, in token order."""
    one = df[df["sentence"] == 1].sort_values(["layer", "position"])
    return one["log_sigma_se"].to_numpy(float)
