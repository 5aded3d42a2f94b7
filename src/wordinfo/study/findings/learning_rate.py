"""F7: diagnosing a bad model: a too-large learning rate leaves too little word information in the layers."""

from __future__ import annotations

from ...training.loop import accuracy
from ...training.train import default_recipe
from ..figures import curves
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval, paired_interval
from ..statistics import aligned, mean_kept


class LearningRate(Finding):
    id = "F7"
    title = "A too-large learning rate shows as too little word information"
    paper = ("A model trained with a too-large learning rate keeps too little information about its input words in "
             "its layers, which the measure shows next to its lower accuracy.")

    def measure(self, data):
        plan, b = data.plan, data.plan.bootstrap
        family = plan.bad_lr_family
        normal = f"sst2-{family}"
        lr = default_recipe("sst2", family).lr * plan.bad_lr_factor
        bad = f"f7-sst2-{family}-lr{lr:g}"
        bad_dir = data.model(bad, "sst2", family, recipe={"lr": lr})
        kept_n, kept_b = mean_kept(data.words(normal)), mean_kept(data.words(bad, model=bad_dir, task="sst2"))
        _, gold = data.eval_set("sst2", "test")
        preds = {n: data.predictions(n, "sst2", "test") for n in (normal, bad)}
        acc = {n: paired_interval([preds[n], gold], lambda p, g: accuracy(p.tolist(), g.tolist()), b)
               for n in preds}
        acc_diff = paired_interval([preds[bad], preds[normal], gold],
                                   lambda p, q, g: accuracy(p.tolist(), g.tolist()) - accuracy(q.tolist(), g.tolist()),
                                   b)
        measured = [Measured(f"test accuracy, lr {lr:g} minus lr {lr / plan.bad_lr_factor:g}", acc_diff)]
        checks = [acc_diff.below(0)]
        rows = []
        for layer in kept_n.columns:
            d = difference(*aligned(kept_b, kept_n, layer=layer), b)
            measured.append(Measured(f"layer {layer}: bits kept per word, lr {lr:g} minus the normal model", d, "bits"))
            checks.append(d.below(0))
            rows.append([int(layer), mean_interval(kept_n[layer], b), mean_interval(kept_b[layer], b), d])
        top = kept_n.columns.max()
        figures = [curves(plan.root / "figures" / "F7.png", {"SST-2": {
            f"{family}, lr {lr / plan.bad_lr_factor:g} (accuracy {acc[normal].estimate:.3f})":
                {lay / top: mean_interval(kept_n[lay], b) for lay in kept_n.columns},
            f"{family}, lr {lr:g} (accuracy {acc[bad].estimate:.3f})":
                {lay / top: mean_interval(kept_b[lay], b) for lay in kept_b.columns}}}, "bits kept per word")]
        why = (f"the lr x{plan.bad_lr_factor:g} model's accuracy is {acc[bad].text(3)} against {acc[normal].text(3)}; "
               f"it keeps fewer bits (interval below 0) at {sum(checks[1:])} of {len(checks) - 1} layers.")
        return self.result(measured, verdict_of(checks), why,
                           tables={"bits kept per word, normal and too-large learning rate": table(
                               ["layer", f"lr {lr / plan.bad_lr_factor:g}", f"lr {lr:g}", "difference"], rows),
                               "accuracy": table(["model", "test accuracy"], [[n, acc[n]] for n in acc])},
                           figures=[str(f.relative_to(plan.root)) for f in figures],
                           how=f"The {family} family trained twice on SST-2 with the same seed, split and recipe but "
                               f"the learning rate ({lr / plan.bad_lr_factor:g}, its default, and {lr:g}); both "
                               "explain the same sentences; differences paired by sentence.")
