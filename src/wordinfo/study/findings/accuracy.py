"""F11: accuracy of the four families on SST-2 and CoLA, next to the paper's ranking (BERT best)."""

from __future__ import annotations

import numpy as np

from ...training.loop import accuracy, matthews
from ..figures import bars
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import paired_interval

HALVES = {"sst2": ("test",), "cola": ("in-domain", "out-of-domain")}


def scores(data, name: str, task: str) -> dict:
    """Per evaluation set (CoLA: each half and GLUE dev, both together) the gold labels and predictions."""
    out = {}
    for half in HALVES[task]:
        _, gold = data.eval_set(task, half)
        out[half] = (data.predictions(name, task, half), gold)
    if task == "cola":
        out["GLUE dev (both)"] = tuple(np.concatenate([out[h][i] for h in HALVES[task]]) for i in (0, 1))
    return out


def metric_interval(pred, gold, metric, resamples, seed=0):
    return paired_interval([pred, gold], lambda p, g: metric(p.tolist(), g.tolist()), resamples, seed)


class Accuracy(Finding):
    id = "F11"
    title = "Accuracy: BERT is the best of the four families"
    paper = "Fine-tuned BERT is the most accurate of the four model families on SST-2, CoLA and QQP."

    def measure(self, data):
        b = data.plan.bootstrap
        measured, checks, rows, groups = [], [], [], {}
        for task, main, metric, label in (("sst2", "test", accuracy, "accuracy"),
                                          ("cola", "GLUE dev (both)", matthews, "MCC")):
            names = data.of_task(task)
            by_model = {n: scores(data, n, task) for n in names}
            for n in names:
                for half, (pred, gold) in by_model[n].items():
                    rows.append([n, half, len(gold), metric_interval(pred, gold, accuracy, b),
                                 metric_interval(pred, gold, matthews, b)])
                pred, gold = by_model[n][main]
                groups.setdefault(f"{task} {label} ({main})", {})[n.split("-", 1)[1]] = \
                    metric_interval(pred, gold, metric, b)
            bert = f"{task}-bert"
            if bert not in by_model or len(names) < 2:
                continue
            point = {n: metric(*(v.tolist() for v in by_model[n][main])) for n in names}
            runner_up = max((n for n in names if n != bert), key=point.get)
            (pb, gold), (pr, _) = by_model[bert][main], by_model[runner_up][main]
            diff = paired_interval([pb, pr, gold], lambda p, q, g: metric(p.tolist(), g.tolist())
                                   - metric(q.tolist(), g.tolist()), b)
            measured.append(Measured(f"{task}: {label} on {main}, bert minus the best other family "
                                     f"({runner_up.split('-', 1)[1]})", diff))
            checks.append(diff.above(0))
        figures = [bars(data.plan.root / "figures" / "F11.png", groups, "score (95% interval)", zero=False)]
        why = (f"BERT is ahead of the runner-up with an interval above 0 on {sum(checks)} of {len(checks)} tasks "
               "(paired bootstrap over the evaluation sentences).")
        if not checks:
            why = "needs the bert family and at least one other"
        return self.result(measured, verdict_of(checks), why,
                           tables={"accuracy and Matthews correlation": table(
                               ["model", "evaluation set", "sentences", "accuracy", "MCC"], rows)},
                           figures=[str(f.relative_to(data.plan.root)) for f in figures],
                           how="Predictions of each trained model on SST-2's test set (1,821 sentences) and on "
                               "CoLA's GLUE dev set (1,043: in-domain 527 and out-of-domain 516, each half "
                               "reported); intervals from 2,000 bootstrap resamples of the sentences.")
