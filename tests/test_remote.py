"""Run directories in a bucket (``wordinfo.remote``): a run to ``s3://`` keeps every guarantee of a run on disk.

A local S3 server (moto's, :mod:`helpers.s3`, the ``bucket`` fixture) stands in for S3: the same rows as a
run on disk, resume, a driver killed with SIGKILL and the command rerun, a damaged part set aside, a checksum
file whose part never arrived removed, the readers (verify, query, summary, report, the explanation), and
one-line errors for a bucket that is not there or a URI pyarrow does not know. The lease that keeps one
writer: tests/runs/test_lease.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.cli import assert_clean_error, assert_ends_in_one_error, invoke
from helpers.corpus import sentences, write_tsv
from helpers.processes import kill_after_parts
from helpers.threads import one_thread
from wordinfo.remote import RemotePath, is_uri, location
from wordinfo.runs import Run, run_corpus, store
from wordinfo.runs.lease import Lease

pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[dev]' runs these tests")

EXE = Path(sys.executable).with_name("wordinfo")
FAST = dict(solver="fast", part_size=4, progress=False, log=lambda m: None)


@pytest.fixture(autouse=True)
def _quick_lease(monkeypatch):
    monkeypatch.setattr(Lease, "settle", 0.01)


def _rows(parts) -> pd.DataFrame:
    from wordinfo.remote import arrow_path
    tables = [pq.read_table(*arrow_path(p)[:1], filesystem=arrow_path(p)[1]).to_pandas() for p in parts]
    df = pd.concat(tables, ignore_index=True)
    return df.sort_values(["sentence", "layer", "position"], kind="stable").reset_index(drop=True)


def test_location_tells_uris_from_paths(bucket):
    assert isinstance(location(bucket.uri("x")), RemotePath)
    assert location("runs/a") == Path("runs/a") and location("file:///tmp/a") == Path("/tmp/a")
    assert is_uri("gs://b/x") and not is_uri("C:/runs") and not is_uri("file:///x")
    p = location(bucket.uri("folder/sub"))
    assert str(p) == f"s3://{bucket.name}/folder/sub" and p.name == "sub" and str(p.parent).endswith("/folder")
    assert (p / "parts" / "a.json").with_suffix(".parquet").name == "a.parquet"


def test_a_run_in_a_bucket_equals_the_same_run_on_disk_and_reads_back(bucket, tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(10))
    uri = bucket.uri()
    with one_thread():
        remote = run_corpus(data, uri, model=str(tiny_bert_dir), **FAST)
        local = run_corpus(data, tmp_path / "local", model=str(tiny_bert_dir), **FAST)
    assert bucket.files(uri) == sorted(["manifest.json"] + [f"parts/{p.name}" for p in local.files()]
                                       + [f"parts/{store.checksum_path(p).name}" for p in local.files()]), \
        "the same files, and no lock left behind"
    pd.testing.assert_frame_equal(_rows(remote.files()), _rows(local.files()))
    assert remote.verify().ok and remote.verify().sentences == 10
    q = "SELECT layer, count(*) AS n, avg(sigma) AS s FROM tokens GROUP BY layer ORDER BY layer"
    pd.testing.assert_frame_equal(remote.sql(q), local.sql(q))
    assert remote.explanation([1]).words() == local.explanation([1]).words()
    # the command line reads it as it reads a folder
    r = invoke("verify", uri)
    assert r.exit_code == 0 and "checksums match" in r.stdout, r.output
    r = invoke("query", uri, "SELECT count(DISTINCT sentence) AS n FROM tokens", "--format", "csv")
    assert r.exit_code == 0 and r.stdout.split() == ["n", "10"], r.output
    r = invoke("summary", uri, "--table", "layers", "--format", "csv")
    assert r.exit_code == 0 and r.stdout.count("\n") == 1 + 3, r.output          # a header, three layers
    r = invoke("report", uri, "--out", tmp_path / "report.html", "--max-sentences", "3")
    assert r.exit_code == 0 and "report written" in r.stdout, r.output


def test_the_command_line_runs_into_a_bucket_and_resumes(bucket, tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(10))
    uri = bucket.uri()
    args = ["run", "--data", data, "--model", tiny_bert_dir, "--solver", "fast", "--part-size", "3", "--no-progress",
            "--out", uri]
    with one_thread():
        first = invoke(*args, "--limit", "4")
        assert first.exit_code == 0, first.output
        again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert "resuming" in again.stderr and "4 of 10 sentences done" in again.stderr
    assert store.done_ranges(uri) == [(0, 2), (3, 3), (4, 6), (7, 9)]
    assert Run(uri).complete


def test_a_driver_killed_mid_run_is_resumed_by_the_same_command(bucket, tmp_path, tiny_bert_dir, cache):
    n = 120
    data = write_tsv(tmp_path / "c.tsv", sentences(n))
    uri = bucket.uri()
    env = {**os.environ, "WORDINFO_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [str(EXE), "run", "--data", str(data), "--model", str(tiny_bert_dir), "--solver", "fast", "--part-size",
           "4", "--no-progress", "--out", uri]
    killed_at = kill_after_parts(cmd, env, uri)
    assert 3 <= killed_at < n // 4
    assert ".lock" in bucket.files(uri), "a killed driver leaves its lease"

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr, "the lease of a dead process on this host is taken over"
    covered = [i for a, b in store.done_ranges(uri) for i in range(a, b + 1)]
    assert covered == list(range(n)), "every sentence once, in order"
    with one_thread():
        ref = run_corpus(data, tmp_path / "ref", model=str(tiny_bert_dir), **FAST)
    got = _rows(store.part_files(uri))
    assert (got.groupby(["sentence", "layer", "position"]).size() == 1).all()
    pd.testing.assert_frame_equal(got, _rows(ref.files()))
    assert ".lock" not in bucket.files(uri)


def test_a_damaged_part_is_set_aside_and_an_orphan_checksum_removed(bucket, tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(8))
    uri = bucket.uri()
    with one_thread():
        run_corpus(data, uri, model=str(tiny_bert_dir), **FAST)
    key = bucket.key(uri)
    part = f"{key}/parts/part-000000004-000000007.parquet"
    with bucket.fs.open_input_file(part) as f:
        good = f.read()
    with bucket.fs.open_output_stream(part) as f:      # same size, one byte changed
        f.write(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    with bucket.fs.open_output_stream(f"{key}/parts/part-000000008-000000009.json") as f:
        f.write(b"{}")                                  # a checksum file whose part never arrived
    found = Run(uri).verify()
    assert [(p.name, "SHA-256" in why) for p, why in found.damaged] == [("part-000000004-000000007.parquet", True)]
    assert [p.name for p in found.leftovers] == ["part-000000008-000000009.json"]
    r = invoke("query", uri, "SELECT 1")
    assert_clean_error(r, "part-000000004-000000007.parquet", "damaged")

    logs = []
    with one_thread():
        run = run_corpus(data, uri, model=str(tiny_bert_dir), **{**FAST, "log": logs.append})
    assert any("is damaged" in m and "damaged/part-000000004-000000007.parquet" in m for m in logs), logs
    files = bucket.files(uri)
    assert "damaged/part-000000004-000000007.parquet" in files and "parts/part-000000008-000000009.json" not in files
    assert run.verify().ok and run.complete


def test_bad_locations_are_one_line_errors(bucket, tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(2))
    base = ["run", "--data", data, "--model", tiny_bert_dir, "--solver", "fast", "--no-progress", "--out"]
    r = invoke(*base, bucket.uri(bucket="no-such-bucket"))
    assert_ends_in_one_error(r, "no-such-bucket does not exist")
    r = invoke(*base, "nosuchscheme://x/y")
    assert_ends_in_one_error(r, "cannot open 'nosuchscheme://x/y'", "a local path")
    assert_clean_error(invoke("verify", bucket.uri("nothing-here")), "nothing-here' not found")
    # a folder in the bucket that holds something else is not wordinfo's to write into
    uri = bucket.uri()
    location(uri).mkdir(parents=True)
    (location(uri) / "notes.txt").write_bytes(b"mine")
    assert_ends_in_one_error(invoke(*base, uri), "not empty and not a wordinfo run", "notes.txt")
    assert bucket.files(uri) == ["notes.txt"]
