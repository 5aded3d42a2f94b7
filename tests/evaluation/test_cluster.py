"""The evaluation on Ray (``wordinfo.evaluation.cluster``): the same records as without Ray, written by the driver,
and a run resumed across the two.

A tiny random BERT classifier; the session's local 2-CPU Ray cluster (``ray_cluster``); skipped, saying so,
where Ray is not installed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.corpus import sentences
from helpers.threads import one_thread
from wordinfo.evaluation import evaluate

pytest.importorskip("ray", reason="Ray is not installed: pip install 'wordinfo[ray]' runs these tests")

METHODS = "erasure,saliency,random,wordinfo"


def _scores(folder) -> dict:
    records = [json.loads(line) for f in sorted((folder / "records").glob("*.jsonl")) for line in open(f)]
    return {r["index"]: {m: np.asarray(v["scores"], dtype=float) for m, v in r["methods"].items()} for r in records}


def test_an_evaluation_on_ray_has_the_records_of_one_without(ray_cluster, tiny_bert_dir, tmp_path):
    texts = sentences(6)
    with one_thread():
        alone = evaluate(str(tiny_bert_dir), texts, methods=METHODS, seeds=2, seed_sentences=2, solver="fast",
                         out=tmp_path / "alone")
        # one share of the sentences on Ray, the other without, then the merging run: one set of records
        logs = []
        evaluate(str(tiny_bert_dir), texts, methods=METHODS, seeds=2, seed_sentences=2, solver="fast",
                 out=tmp_path / "ray", ray=ray_cluster[0], log=logs.append, part=(1, 2))
        evaluate(str(tiny_bert_dir), texts, methods=METHODS, seeds=2, seed_sentences=2, solver="fast",
                 out=tmp_path / "ray", part=(2, 2))
    assert any("2 actor(s)" in m for m in logs), logs
    with one_thread():
        merged = evaluate(str(tiny_bert_dir), texts, methods=METHODS, seeds=2, seed_sentences=2, solver="fast",
                          out=tmp_path / "ray")
    a, b = _scores(tmp_path / "alone"), _scores(tmp_path / "ray")
    assert sorted(a) == sorted(b) == list(range(6))
    for i in a:
        for m in a[i]:
            np.testing.assert_array_equal(a[i][m], b[i][m], err_msg=f"sentence {i}, {m}")
    for m in METHODS.split(","):
        assert merged["methods"][m].get("faithfulness") == alone["methods"][m].get("faithfulness")
