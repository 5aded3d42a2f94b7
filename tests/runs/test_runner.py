"""``run_corpus`` (``wordinfo.runs.runner``): resuming after SIGKILL without loss or duplicates, raising the limit,
and what a run directory holds.

The model is a tiny random BERT classifier saved to a temporary directory with the
bundled MiniLM tokenizer; ``--solver fast`` keeps every run to seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.corpus import SCRIPT, sentences, write_tsv
from helpers.processes import kill_after_parts
from helpers.threads import one_thread
from wordinfo.errors import WordinfoError
from wordinfo.runs import Run, run_corpus, store

EXE = Path(sys.executable).with_name("wordinfo")
N = 120                  # sentences in the kill test: long enough to be killed mid-run


def _env_for_subprocess(cache):
    return {**os.environ, "WORDINFO_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


def _all_rows(rundir: Path) -> pd.DataFrame:
    df = pd.concat([pq.read_table(f).to_pandas() for f in store.part_files(rundir)], ignore_index=True)
    return df.sort_values(["sentence", "layer", "position"], kind="stable").reset_index(drop=True)


def test_sigkill_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path, tiny_bert_dir, cache):
    data = write_tsv(tmp_path / "corpus.tsv", sentences(N))
    env = _env_for_subprocess(cache)
    cmd = [str(EXE), "run", "--data", str(data), "--model", str(tiny_bert_dir), "--solver", "fast", "--part-size", "4",
           "--no-progress"]

    with one_thread():      # the uninterrupted run, in this process (one thread, like the subprocesses)
        run_corpus(data, tmp_path / "ref", model=str(tiny_bert_dir), solver="fast", part_size=4, progress=False,
                   log=lambda m: None)

    out = tmp_path / "killed"
    killed_at = kill_after_parts(cmd + ["--out", str(out)], env, out, timeout=90)
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


def test_limit_then_raise_it_continues_and_results_hold_metadata(tmp_path, tiny_bert_dir):
    texts = sentences(10)
    data = write_tsv(tmp_path / "c.tsv", texts)
    kwargs = dict(model=str(tiny_bert_dir), solver="fast", part_size=3, progress=False, log=lambda m: None)
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
        direct = wordinfo.explain(SCRIPT, str(tiny_bert_dir), solver="fast")
    assert exp.words() == direct.words()
    assert abs(exp.sigma[0] - direct.sigma[0]).max() < 1e-6


def first_sentence_se(df):
    """Sentence 1's log sigma errors from the Parquet rows, layer by layer, in token order."""
    one = df[df["sentence"] == 1].sort_values(["layer", "position"])
    return one["log_sigma_se"].to_numpy(float)


def test_a_run_from_a_layer_records_it(tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "corpus.tsv", sentences(4))
    with one_thread():
        run = run_corpus(data, tmp_path / "run", model=str(tiny_bert_dir), solver="fast", from_layer=1,
                         progress=False, log=lambda m: None)
    manifest = store.read_manifest(tmp_path / "run")
    assert manifest["settings"]["from_layer"] == 1 and manifest["layers"] == ["2", "3"]
    assert run.done == 4
    with one_thread(), pytest.raises(WordinfoError, match="different run"):   # from layer 0: another run
        run_corpus(data, tmp_path / "run", model=str(tiny_bert_dir), solver="fast", progress=False,
                   log=lambda m: None)


def test_a_record_goes_into_a_new_manifest_and_is_not_what_a_resume_compares(tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "corpus.tsv", sentences(3))
    kwargs = dict(model=str(tiny_bert_dir), solver="fast", progress=False, log=lambda m: None)
    with one_thread():
        run_corpus(data, tmp_path / "run", record={"epoch": 3, "probe": {"name": "x"}}, **kwargs)
        assert store.read_manifest(tmp_path / "run")["epoch"] == 3
        again = run_corpus(data, tmp_path / "run", record={"epoch": 4}, **kwargs)     # the same run: resumed
        assert again.manifest["epoch"] == 3 and again.done == 3
        with pytest.raises(WordinfoError, match="may not replace the manifest's own 'settings'"):
            run_corpus(data, tmp_path / "other", record={"settings": {}}, **kwargs)


def test_a_changed_calibration_sample_is_refused_on_resume(tmp_path, tiny_bert_dir):
    """The manifest records the calibration sample's hash: the same file name with other sentences would mix two
    sigma_S in one run, so the resume is refused, naming the field."""
    data = write_tsv(tmp_path / "c.tsv", sentences(4))
    calib = tmp_path / "calib.txt"
    calib.write_text("\n".join(sentences(12, seed=3)) + "\n")
    kwargs = dict(model=str(tiny_bert_dir), solver="fast", part_size=2, progress=False, log=lambda m: None,
                  calibration=str(calib))
    with one_thread():
        run = run_corpus(data, tmp_path / "r", limit=2, **kwargs)
    assert run.manifest["calibration"]["hash"].startswith("blake2b:") and run.manifest["calibration"]["sentences"] == 12
    calib.write_text("\n".join(sentences(12, seed=4)) + "\n")
    with one_thread(), pytest.raises(WordinfoError, match="calibration.hash"):
        run_corpus(data, tmp_path / "r", **kwargs)
    assert Run(tmp_path / "r").done == 2


def test_a_full_disk_keeps_the_finished_parts_and_says_where(tmp_path, tiny_bert_dir, monkeypatch):
    """A write the system refuses after some parts (ENOSPC) ends with one line naming the part, how many parts are
    kept and where; the same command then finishes the run, with the rows of a run that never failed."""
    import errno

    data = write_tsv(tmp_path / "c.tsv", sentences(6))
    kwargs = dict(model=str(tiny_bert_dir), solver="fast", part_size=2, progress=False, log=lambda m: None)
    real, calls = pq.write_table, []

    def full_after_two(table, where, **options):
        calls.append(where)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(table, where, **options)

    monkeypatch.setattr(pq, "write_table", full_after_two)
    with one_thread(), pytest.raises(WordinfoError) as info:
        run_corpus(data, tmp_path / "r", **kwargs)
    msg = str(info.value)
    assert "\n" not in msg and "No space left on device" in msg and "part-000000004-000000005" in msg
    assert "the 2 finished part(s) are kept in" in msg and str(tmp_path / "r") in msg
    assert len(store.part_files(tmp_path / "r")) == 2 and not store.leftovers(tmp_path / "r")
    monkeypatch.setattr(pq, "write_table", real)
    with one_thread():
        run_corpus(data, tmp_path / "r", **kwargs)
        run_corpus(data, tmp_path / "ref", **kwargs)
    pd.testing.assert_frame_equal(_all_rows(tmp_path / "r"), _all_rows(tmp_path / "ref"))
