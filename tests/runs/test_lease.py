"""The lease that keeps one writer on a run directory in a bucket (``wordinfo.runs.lease``): refused while its
holder lives, taken over from a dead or silent one, renewed while held; on moto's local S3 (:mod:`helpers.s3`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from helpers.corpus import sentences, write_tsv
from helpers.threads import one_thread
from wordinfo.errors import WordinfoError
from wordinfo.remote import location
from wordinfo.runs import run_corpus, store
from wordinfo.runs.lease import Lease

pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[dev]' runs these tests")

FAST = dict(solver="fast", part_size=4, progress=False, log=lambda m: None)


@pytest.fixture(autouse=True)
def _quick_lease(monkeypatch):
    monkeypatch.setattr(Lease, "settle", 0.01)


def test_a_live_lease_refuses_a_second_writer_and_a_dead_one_is_taken_over(bucket, tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(4))
    uri = bucket.uri()
    lock = location(uri) / ".lock"

    def hold(**record):
        lock.write_bytes(json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "token": "other",
                                     "renewed": time.time(), **record}).encode())

    hold()                                              # this process, alive, another token
    with pytest.raises(WordinfoError, match="another wordinfo run .* is writing to") as e:
        run_corpus(data, uri, model=str(tiny_bert_dir), **FAST)
    assert "\n" not in str(e.value) and f"process {os.getpid()}" in str(e.value)
    hold(host="another-host")                           # another host, renewed just now
    with pytest.raises(WordinfoError, match="another-host"):
        run_corpus(data, uri, model=str(tiny_bert_dir), **FAST)

    for stale in ({"host": "another-host", "renewed": time.time() - 2 * Lease.seconds},   # not renewed
                  {"pid": _dead_pid()}):                                                # a dead process here
        hold(**stale)
        with one_thread():
            run = run_corpus(data, uri, model=str(tiny_bert_dir), **FAST)
        assert run.complete and ".lock" not in bucket.files(uri)


def test_the_lease_is_renewed_while_the_run_holds_it(bucket, monkeypatch):
    monkeypatch.setattr(Lease, "seconds", 0.4)
    lock = location(bucket.uri()) / ".lock"
    with Lease(lock) as lease:
        first = json.loads(lock.read_text())["renewed"]
        time.sleep(0.5)
        assert json.loads(lock.read_text())["renewed"] > first
        assert lease.holder()["token"] == lease.record["token"]
    assert not lock.exists()


def test_a_lease_taken_over_is_not_renewed_over_the_new_holder(bucket, monkeypatch):
    monkeypatch.setattr(Lease, "seconds", 0.4)
    lock = location(bucket.uri()) / ".lock"
    with Lease(lock) as lease:
        lock.write_bytes(json.dumps({"host": "another-host", "pid": 1, "token": "other",
                                     "renewed": time.time()}).encode())
        time.sleep(0.5)                                 # past a renewal
        assert json.loads(lock.read_text())["token"] == "other"
        with pytest.raises(WordinfoError, match="lost its lease"):
            lease.ensure()
    assert json.loads(lock.read_text())["token"] == "other", "nor deleted on exit"


def test_a_run_whose_lease_was_taken_over_stops_before_its_next_part(bucket, tmp_path, tiny_bert_dir,
                                                                     monkeypatch):
    """A takeover while the run could not renew (a long network cut): the first run writes no part after it."""
    data = write_tsv(tmp_path / "c.tsv", sentences(12))
    uri = bucket.uri()
    lock = location(uri) / ".lock"
    write_part = store.write_part

    def then_taken_over(*args):
        path = write_part(*args)
        lock.write_bytes(json.dumps({"host": "another-host", "pid": 1, "token": "other",
                                     "renewed": time.time()}).encode())
        return path

    monkeypatch.setattr(store, "write_part", then_taken_over)
    with one_thread(), pytest.raises(WordinfoError, match="lost its lease") as e:
        run_corpus(data, uri, model=str(tiny_bert_dir), **FAST)
    assert "\n" not in str(e.value) and "another-host" in str(e.value) and "finished parts are kept" in str(e.value)
    assert [p.name for p in store.part_files(uri)] == ["part-000000000-000000003.parquet"]
    assert json.loads(lock.read_text())["token"] == "other", "the other run's lease is left as it is"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
