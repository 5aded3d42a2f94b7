"""One sentence of the evaluation: every method's scores on every target, and the sentence's metrics.

:func:`evaluate_sentence` is the evaluation's unit of work, the same in the evaluating process
and on a Ray actor (:mod:`wordinfo.evaluation.cluster`): it gives the sentence's record, which
the driver alone stores (:mod:`wordinfo.evaluation.records`).
"""

from __future__ import annotations

import platform
import time

import numpy as np

from ..baselines import Scores
from . import coherency as coh
from . import faithfulness as faith
from . import ground_truth as gt


def label(target) -> str:
    kind = str(getattr(target, "kind", target))
    layer = getattr(target, "layer", None)
    if ":" in kind or layer is None:
        return kind
    return f"{kind}@{layer}" if kind != "tokens" else f"layer {layer}"


def evaluate_sentence(ctx, methods, i: int, text: str, seeds: int, seed_sentences: int) -> dict:
    """The record of sentence ``i``: each method explains every target with seed 0, timed (stochastic ones
    again with seeds 1.. on the first ``seed_sentences`` sentences), then the metrics. A method that fails
    on the sentence gets NaN scores and its error in the record: one failure must not end a run of hours."""
    clock = time.perf_counter()
    sentence = ctx.sentence(text)
    targets = ctx.targets_for(sentence)
    record = {"index": i, "text": text, "words": [sentence.word_map.words[w] for w in sentence.words],
              "targets": [label(t) for t in targets], "methods": {}, "host": platform.node()}
    for m in methods:
        try:
            runs = [m.explain(ctx, sentence, seed=0)]
            if m.stochastic and i < seed_sentences:
                runs += [m.explain(ctx, sentence, seed=s) for s in range(1, seeds)]
        except (RuntimeError, ValueError) as e:
            runs = [Scores(np.full((len(targets), len(sentence.words)), np.nan), 0.0,
                           {"targets": 0, "error": str(e).splitlines()[0]})]
        record["methods"][m.name] = {"scores": runs[0].values, "seconds": runs[0].seconds,
                                     "cpu_seconds": runs[0].info.get("cpu_seconds", 0.0),
                                     "explanations": runs[0].info["targets"], "error": runs[0].info.get("error"),
                                     "seed_runs": [r.values for r in runs[1:]]}
    _sentence_metrics(ctx, sentence, targets, record)
    for rec in record["methods"].values():
        rec["seed_runs"] = []                   # summarised in seed_rho: not kept
    record["seconds"] = time.perf_counter() - clock
    return record


def _sentence_metrics(ctx, sentence, targets, record):
    """Faithfulness, layer and seed coherency, and ground-truth ranks of one sentence, per method."""
    layer_rows = [targets.index(t) for t in ctx.layer_targets]
    pred_rows = [targets.index(t) for t in ctx.prediction_targets]
    truths = [(r, ctx.truth(sentence, t)) for r, t in enumerate(targets)]
    truths = [(r, w) for r, w in truths if w is not None]
    for rec in record["methods"].values():
        values = rec["scores"]
        if pred_rows and np.isfinite(values[pred_rows[0]]).all():
            rec["faithfulness"] = faith.faithfulness(ctx, sentence, values[pred_rows[0]])
        if len(layer_rows) > 1 and np.isfinite(values[layer_rows]).all():
            rec["layer_rho"] = coh.adjacent_layers(values, layer_rows)
        if rec["seed_runs"]:
            rec["seed_rho"] = coh.across_seeds([values, *rec["seed_runs"]]).tolist()
        if truths and np.isfinite(values[[r for r, _ in truths]]).all():
            rec["ranks"] = [gt.true_rank(values[r], w) for r, w in truths]
