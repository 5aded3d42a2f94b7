"""Corpus runs on Ray (``wordinfo.runs.cluster``): the same rows as without Ray, an actor killed mid-run, the driver
killed mid-run, and a second node.

A local Ray cluster with 2 CPUs is started once for the session (``ray_cluster``, tests/helpers/ray_cluster.py)
and the runs join it by address.
The model is a tiny random BERT classifier; skipped, saying so, where Ray is not installed (the README's
commands do not need it; CI installs ``wordinfo[ray]``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.corpus import sentences, write_tsv
from helpers.ray_cluster import free_port
from helpers.threads import one_thread
from wordinfo.errors import WordinfoError
from wordinfo.remote import arrow_path
from wordinfo.runs import run_corpus, store

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'wordinfo[ray]' runs these tests")

EXE = Path(sys.executable).with_name("wordinfo")
N = 24
SETTINGS = {"solver": "default", "precision": 0.1}        # a fraction of a second a sentence: parts to kill
KEY = ["sentence", "layer", "position"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_tsv(tmp_path_factory.mktemp("data") / "c.tsv", sentences(N))


@pytest.fixture(scope="module")
def reference(corpus, tiny_bert_dir, tmp_path_factory):
    """The rows of the same run without Ray."""
    with one_thread():
        run = run_corpus(corpus, tmp_path_factory.mktemp("ref") / "run", model=str(tiny_bert_dir), part_size=4,
                         progress=False, log=lambda m: None, **SETTINGS)
    return _rows(run.path)


def _rows(rundir: Path) -> pd.DataFrame:
    """Every row of a run (a folder, or a bucket's RemotePath), in key order."""
    tables = [pq.read_table(where, filesystem=fs) for where, fs in map(arrow_path, store.part_files(rundir))]
    df = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    return df.sort_values(KEY, kind="stable").reset_index(drop=True)


def _assert_complete_and_equal(rundir: Path, reference: pd.DataFrame) -> None:
    rows = _rows(rundir)
    assert not rows.duplicated(KEY).any(), "a (sentence, layer, position) was written twice"
    assert len(rows) == len(reference) and rows["sentence"].nunique() == N
    pd.testing.assert_frame_equal(rows, reference)


def _actors(dashboard: str, state: str = "ALIVE"):
    from ray.util.state import list_actors
    return list_actors(address=dashboard, filters=[("class_name", "=", "PartExplainer"), ("state", "=", state)],
                       detail=True, raise_on_missing_output=False)


def _wait_for(condition, what: str, timeout: float = 180):
    start = time.time()
    while not condition():
        assert time.time() - start < timeout, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_run_on_ray_has_the_rows_of_a_run_without(ray_cluster, corpus, reference, tiny_bert_dir, tmp_path):
    logs = []
    run = run_corpus(corpus, tmp_path / "run", model=str(tiny_bert_dir), part_size=4, progress=False,
                     log=logs.append, ray=ray_cluster[0], **SETTINGS)
    _assert_complete_and_equal(run.path, reference)
    assert any("2 actor(s)" in m for m in logs)
    assert run.manifest["model"]["fingerprint"]


def test_a_run_on_ray_into_a_bucket_has_the_same_rows(ray_cluster, bucket, corpus, reference, tiny_bert_dir):
    """Only the driver writes the run: actors need no access to the bucket (nor to a shared disk)."""
    run = run_corpus(corpus, bucket.uri(), model=str(tiny_bert_dir), part_size=4, progress=False,
                     log=lambda m: None, ray=ray_cluster[0], **SETTINGS)
    _assert_complete_and_equal(run.path, reference)
    assert run.verify().ok


def test_an_actor_killed_mid_run_is_restarted_and_its_part_redone(ray_cluster, corpus, reference, tiny_bert_dir,
                                                                   tmp_path):
    address, dashboard = ray_cluster
    out, errors = tmp_path / "run", []

    def go():
        try:
            run_corpus(corpus, out, model=str(tiny_bert_dir), part_size=2, progress=False, log=lambda m: None,
                       ray=address, **SETTINGS)
        except BaseException as e:     # noqa: BLE001 (reported by the test thread below)
            errors.append(e)

    driver = threading.Thread(target=go)
    driver.start()
    _wait_for(lambda: len(store.part_files(out)) >= 1 and len(_actors(dashboard)) == 2, "a first part")
    victim = _actors(dashboard)[0]
    os.kill(victim.pid, signal.SIGKILL)
    driver.join(timeout=600)
    assert not errors, errors
    _assert_complete_and_equal(out, reference)
    # the killed actor came back (Ray restarted it) rather than the run going on with one
    restarted = [a for a in _actors(dashboard, "DEAD") if a.actor_id == victim.actor_id]
    assert restarted and restarted[0].num_restarts >= 1


def test_the_driver_killed_mid_run_is_resumed_by_the_same_command(ray_cluster, corpus, reference, tiny_bert_dir,
                                                                  tmp_path):
    out = tmp_path / "run"
    command = [str(EXE), "run", "--data", str(corpus), "--out", str(out), "--model", str(tiny_bert_dir),
               "--part-size", "2", "--no-progress", "--ray", ray_cluster[0], "--solver", "default",
               "--precision", "0.1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: len(store.part_files(out)) >= 1 or first.poll() is not None, "a first part", timeout=400)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = store.done_ranges(out)
    assert 0 < sum(b - a + 1 for a, b in done_before) < N, "the driver was not killed mid-run"
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert f"{N} of {N} sentences" in second.stderr and "resuming" in second.stderr
    _assert_complete_and_equal(out, reference)


@pytest.mark.multinode
def test_two_nodes_explain_parts_into_one_directory(ray_cluster, corpus, reference, tiny_bert_dir, tmp_path):
    """A second `ray start` node on this machine with its own CPU: actors on both nodes, one run directory."""
    address, _ = ray_cluster
    node = subprocess.Popen(["ray", "start", f"--address={address}", "--num-cpus=1", "--block"],
                            env={**os.environ, "PATH": f"{EXE.parent}:{os.environ['PATH']}", "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ray.init(address=address, log_to_driver=False)
        _wait_for(lambda: len([n for n in ray.nodes() if n["Alive"]]) == 2, "the second node")
        ray.shutdown()
        logs = []
        run = run_corpus(corpus, tmp_path / "run", model=str(tiny_bert_dir), part_size=4, progress=False,
                         log=logs.append, ray=address, workers=3, **SETTINGS)
        _assert_complete_and_equal(run.path, reference)
        assert any("3 actor(s) on 2 node(s)" in m for m in logs), logs
        per_node = next(m for m in logs if m.startswith("ray: items per node"))
        counts = [int(c) for c in re.findall(r"[0-9a-f]{8}: (\d+)", per_node)]
        assert len(counts) == 2 and min(counts) > 0 and sum(counts) == len(store.part_files(run.path)), per_node
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=120)


def test_ray_errors_are_one_line(ray_cluster, corpus, tiny_bert_dir, tmp_path, tokenizer):
    with pytest.raises(WordinfoError, match="has 2 CPUs but 5 actor"):
        run_corpus(corpus, tmp_path / "a", model=str(tiny_bert_dir), progress=False, log=lambda m: None,
                   ray=ray_cluster[0], workers=5, solver="fast")
    with pytest.raises(WordinfoError, match="cannot reach the Ray cluster"):
        run_corpus(corpus, tmp_path / "b", model=str(tiny_bert_dir), progress=False, log=lambda m: None,
                   ray=f"127.0.0.1:{free_port()}", solver="fast")
    import transformers
    model = transformers.AutoModel.from_pretrained(str(tiny_bert_dir))
    from wordinfo.cluster import check_ray
    from wordinfo.job import prepare
    with pytest.raises(WordinfoError, match="load the model again by name"):
        check_ray(True, prepare(model, tokenizer, solver="fast", calibration="none"))
