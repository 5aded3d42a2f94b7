"""F1: information falls through the layers, and the task signal rises."""

from __future__ import annotations

from ..figures import curves
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval
from ..statistics import CONTENT, FUNCTION, SENTIMENT, log_sigma_gap, mean_kept


class InformationFalls(Finding):
    id = "F1"
    title = "Information falls through the layers; the task signal rises"
    paper = ("Layer after layer a model discards what its task does not need: the information its states keep "
             "about the input words falls with depth, while the task-relevant words keep more than the rest.")

    def measure(self, data):
        b = data.plan.bootstrap
        measured, checks, rows, curve_sets = [], [], [], {}
        for name in data.classifiers:
            kept = mean_kept(data.words(name))
            first, last = kept.columns.min(), kept.columns.max()
            fall = difference(kept[last].to_numpy(), kept[first].to_numpy(), b)
            measured.append(Measured(f"{name}: bits kept per word, layer {last} minus layer {first}", fall, "bits"))
            checks.append(fall.below(0))
            for layer in kept.columns:
                rows.append([name, int(layer), round(layer / last, 3), mean_interval(kept[layer], b)])
            curve_sets.setdefault(self.split_task(name), {})[name] = {
                layer / last: mean_interval(kept[layer], b) for layer in kept.columns}
        signal = {}
        for name in data.classifiers:
            if not name.startswith("sst2-"):
                continue
            gap = -log_sigma_gap(data.words(name), SENTIMENT, CONTENT + FUNCTION)   # > 0: task words kept better
            first, last = gap.columns.min(), gap.columns.max()
            rise = difference(gap[last].to_numpy(), gap[first].to_numpy(), b)
            measured.append(Measured(f"{name}: task-word advantage (mean log sigma of the other words minus that "
                                     f"of sentiment words), layer {last} minus layer {first}", rise, "nats"))
            checks.append(rise.above(0))
            signal[name] = {layer / last: mean_interval(gap[layer], b) for layer in gap.columns}
        figures = [curves(data.plan.root / "figures" / "F1-kept.png", curve_sets, "bits kept per word"),
                   curves(data.plan.root / "figures" / "F1-task-signal.png", {"sst2": signal},
                          "task-word advantage, nats\n(log sigma: other words - sentiment words)", zero=True)]
        n_models = len(data.classifiers)
        falls = sum(checks[:n_models])
        rises = sum(checks[n_models:])
        why = (f"information falls from the first to the last layer (interval below 0) in {falls} of {n_models} "
               f"models; the sentiment words' advantage rises in {rises} of {len(signal)} SST-2 models.")
        return self.result(measured, verdict_of(checks), why,
                           tables={"bits kept per word, by layer": table(
                               ["model", "layer", "depth l/L", "bits kept [95% interval]"], rows)},
                           figures=[str(f.relative_to(data.plan.root)) for f in figures],
                           how="Mean bits kept per word (special tokens left out) per sentence and layer, on the "
                               "default solver's corpus runs; the change from the first to the last layer, paired "
                               "by sentence. Task signal (SST-2): within each sentence, mean log sigma of the other "
                               "words minus that of the VADER sentiment words.")

    @staticmethod
    def split_task(name: str) -> str:
        return name.split("-", 1)[0]
