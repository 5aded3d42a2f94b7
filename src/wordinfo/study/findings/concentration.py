"""F2: BERT and the Transformer concentrate information on a few words; the LSTM and the CNN spread it."""

from __future__ import annotations

import numpy as np

from ..figures import curves
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import mean_interval, paired_interval
from ..statistics import aligned, autocorrelation, concentration

ATTENTION = ("bert", "transformer")
LOCAL = ("lstm", "cnn")


class Concentration(Finding):
    id = "F2"
    title = "Attention models concentrate information; recurrent and convolutional ones spread it"
    paper = ("BERT and the Transformer single out the few task-relevant words, while the LSTM and the CNN spread "
             "information over wide neighbourhoods of words.")

    def measure(self, data):
        b = data.plan.bootstrap
        measured, checks, rows = [], [], []
        curve_sets: dict = {}
        for task in ("sst2", "cola"):
            names = data.of_task(task)
            conc = {n: concentration(data.words(n)) for n in names}
            auto = {n: autocorrelation(data.words(n)) for n in names}
            for n in names:
                top = conc[n].columns.max()
                for layer in conc[n].columns:
                    rows.append([n, int(layer), round(layer / top, 3), mean_interval(conc[n][layer], b),
                                 mean_interval(auto[n][layer], b)])
                curve_sets.setdefault(f"{task}: concentration", {})[n] = {
                    layer / top: mean_interval(conc[n][layer], b) for layer in conc[n].columns}
                curve_sets.setdefault(f"{task}: neighbourhood (lag-1 autocorrelation)", {})[n] = {
                    layer / top: mean_interval(auto[n][layer], b) for layer in auto[n].columns}
            att = [n for n in names if n.split("-", 1)[1] in ATTENTION]
            loc = [n for n in names if n.split("-", 1)[1] in LOCAL]
            if not att or not loc:
                continue
            for what, stats, sign in (("concentration", conc, 1), ("lag-1 autocorrelation of log sigma", auto, -1)):
                cols = aligned(*(stats[n] for n in att + loc))
                k = len(att)
                diff = paired_interval(cols, lambda *c: float(np.mean(np.mean(c[:k], 0) - np.mean(c[k:], 0))), b)
                measured.append(Measured(f"{task}: {what} at the last layer, mean of {'/'.join(att)} minus mean "
                                         f"of {'/'.join(loc)}", diff))
                checks.append(diff.above(0) if sign > 0 else diff.below(0))
        figures = [curves(data.plan.root / "figures" / "F2.png", curve_sets, "per sentence, mean")]
        why = (f"{sum(checks)} of {len(checks)} comparisons go the paper's way with an interval that excludes 0 "
               "(concentration higher for the attention models; neighbourhood correlation higher for the LSTM/CNN).")
        if not checks:
            why = "needs at least one attention model (bert, transformer) and one of lstm, cnn"
        return self.result(measured, verdict_of(checks), why,
                           tables={"concentration and neighbourhood width": table(
                               ["model", "layer", "depth", "concentration", "lag-1 autocorrelation"], rows)},
                           figures=[str(f.relative_to(data.plan.root)) for f in figures],
                           how="Concentration: 1 - entropy of the sentence's normalised kept-bits distribution over "
                               "its words / log(words) (0: spread evenly, 1: on one word). Neighbourhood width: lag-1 "
                               "autocorrelation of log sigma along the words (sentences of 4 words or more). Both "
                               "per sentence; the family groups compared at their last layer, paired by sentence.")

