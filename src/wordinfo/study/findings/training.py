"""F6: information over training: BERT compresses in its last layers; an LSTM first passes more, then discards."""

from __future__ import annotations

import numpy as np

from ...report.figures import epoch_figure
from ...runs.probe import EPOCH_DIR
from ..data import words_of
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval
from ..statistics import mean_kept


def probe_runs(model_dir) -> dict[int, object]:
    """``{epoch: run directory}`` of a model trained with ``--probe``, in epoch order."""
    found = {int(m.group(1)): p for p in (model_dir / "probe").iterdir() if (m := EPOCH_DIR.match(p.name))}
    return dict(sorted(found.items()))


class OverTraining(Finding):
    id = "F6"
    title = "Information over training"
    paper = ("During fine-tuning BERT compresses: its last layers come to keep less about the words; an LSTM first "
             "passes more information through and then discards it.")

    def measure(self, data):
        plan, b = data.plan, data.plan.bootstrap
        measured, checks, rows, dirs = [], [], [], []
        # every family for the same few epochs: the trajectory, not the best model (that is the main models' job)
        recipe = {"epochs": plan.probe_epochs}
        for family in plan.families:
            name = f"f6-sst2-{family}"
            model = data.model(name, "sst2", family, recipe=recipe, probe=data.probe_file,
                               probe_options={"layers": "all", "solver": "default", **plan.solver_options()})
            runs = probe_runs(model)
            dirs += list(runs.values())
            kept = {e: mean_kept(words_of([d], prefix=len(d.name))) for e, d in runs.items()}
            epochs = list(kept)
            for e in epochs:
                for layer in kept[e].columns:
                    rows.append([family, e, int(layer), mean_interval(kept[e][layer], b)])
            first, last = epochs[0], epochs[-1]
            top = kept[first].columns.max()
            if family == "bert":
                d = difference(kept[last][top].to_numpy(), kept[first][top].to_numpy(), b)
                measured.append(Measured(f"bert, layer {top}: bits kept per word after epoch {last} minus before "
                                         "training", d, "bits"))
                checks.append(d.below(0))
            if family == "lstm":
                mean = {e: kept[e].mean(axis=1) for e in epochs}         # per sentence, over the layers
                inner = epochs[1:-1]
                if inner:
                    peak = max(inner, key=lambda e: float(np.mean(mean[e])))
                    up = difference(mean[peak].to_numpy(), mean[first].to_numpy(), b)
                    down = difference(mean[peak].to_numpy(), mean[last].to_numpy(), b)
                    measured += [Measured(f"lstm, mean over layers: epoch {peak} (the peak) minus before training",
                                          up, "bits"),
                                 Measured(f"lstm, mean over layers: epoch {peak} minus epoch {last}", down, "bits")]
                    checks += [up.above(0), down.above(0)]
        figure = plan.root / "figures" / "F6.png"
        epoch_figure(dirs, path=figure, title="bits kept per word against epoch (probe set)")
        why = (f"{sum(checks)} of {len(checks)} checks hold (BERT's last layer keeps less after fine-tuning than "
               "before; the LSTM's mean rises to an inner epoch and falls after it; paired by probe sentence).")
        if not checks:
            why = "needs the bert or the lstm family (the lstm with three epochs or more)"
        return self.result(measured, verdict_of(checks), why,
                           tables={"bits kept per word, by epoch and layer": table(
                               ["family", "epoch", "layer", "bits kept"], rows)},
                           figures=[str(figure.relative_to(plan.root))],
                           how=f"Each family trained on SST-2 for {plan.probe_epochs} epochs (else its default recipe) "
                               f"with `wordinfo train --probe`: {plan.probe_size} SST-2 "
                               "test sentences (after the ones the corpus runs explain) explained with the default "
                               "solver before training (epoch 0) and after every epoch, every layer; the saved "
                               "weights are the best validation epoch's, the probe shows every epoch. The peak "
                               "epoch of the LSTM is chosen on the same probe sentences it is tested on.")
