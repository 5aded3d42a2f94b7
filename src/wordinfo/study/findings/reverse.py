"""F8: the reverse task, where the truth is known: which input word each output step reads, layer by layer."""

from __future__ import annotations

import numpy as np

from ...baselines import Context, make_methods
from ...evaluation import ground_truth as gt
from ...evaluation.coherency import spearman
from ...models.resolve import resolve
from ...training.reverse import ReverseTask
from ...training.train import REVERSE_DEFAULTS
from ..figures import matrices
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval

METHODS = ("wordinfo", "saliency", "input_x_gradient", "integrated_gradients", "erasure", "lrp", "attention",
           "random")
SHOWN = ("wordinfo", "saliency", "integrated_gradients", "erasure")


class DecoderLayers(Context):
    """The evaluation's context with one target per (output step, decoder layer): ``decoder:J`` at every layer."""

    def step_targets(self, sentence):
        return [t for j in range(1, len(sentence.words) + 1) for t in self.encoder.targets("all", f"decoder:{j}")]


def smoothness(rows: np.ndarray) -> float:
    """Mean Spearman of adjacent output steps' scores, aligned on the true word (which moves one word left
    per step): a method that follows the copied word smoothly scores near 1."""
    rhos = [spearman(rows[j, 1:], rows[j + 1, :-1]) for j in range(len(rows) - 1) if rows.shape[1] > 2]
    rhos = [r for r in rhos if np.isfinite(r)]
    return float(np.mean(rhos)) if rhos else np.nan


class ReverseTaskTruth(Finding):
    id = "F8"
    title = "The reverse task: each output step reads its source word, at every decoder layer"
    paper = ("On a sequence-to-sequence model that outputs its input reversed, output step j depends on input word "
             "n - j + 1; the measure finds that word at each step, coherently from step to step, where gradient "
             "and perturbation baselines are noisier.")

    def measure(self, data):
        plan, b = data.plan, data.plan.bootstrap
        measured, checks, rows, panels = [], [], [], {}
        texts = ReverseTask(seed=plan.seed, **{k: REVERSE_DEFAULTS[k] for k in ("vocab_size", "min_length",
                                                                                   "max_length")}
                            ).sample(max(plan.reverse_sentences, 2), stream=2)
        for arch in ("lstm", "transformer"):
            name = f"reverse-{arch}"
            encoder = resolve(str(data.model(name, "reverse", arch)))
            ctx = DecoderLayers(encoder, [], texts, step_kind="decoder")
            layers = sorted({t.layer for t in encoder.targets("all", "decoder:1")})
            methods = make_methods(list(METHODS), wordinfo={"solver": "default", **plan.solver_options()},
                                   integrated_gradients={"steps": 20})
            per = {m.name: {layer: {"top1": [], "rank": [], "smooth": []} for layer in layers} for m in methods}
            with ctx.frozen():
                for si, text in enumerate(texts):
                    sentence = ctx.sentence(text)
                    targets = ctx.targets_for(sentence)
                    for m in methods:
                        if any(m.unsupported(ctx, t) for t in targets):
                            per.pop(m.name, None)
                            continue
                        scores = m.explain(ctx, sentence, seed=0).values
                        for layer in layers:
                            idx = [r for r, t in enumerate(targets) if t.layer == layer]
                            ranks = [gt.true_rank(scores[r], ctx.truth(sentence, targets[r])) for r in idx]
                            per[m.name][layer]["top1"].append(np.mean(np.array(ranks) == 1))
                            per[m.name][layer]["rank"].append(np.mean(ranks))
                            per[m.name][layer]["smooth"].append(smoothness(scores[idx]))
                            if si == 0 and layer == layers[-1] and m.name in SHOWN:
                                panels[f"{name}: {m.name}"] = scores[idx]
            chance = float(np.mean([1 / len(t.split()) for t in texts]))
            for mname, by_layer in per.items():
                for layer, v in by_layer.items():
                    rows.append([name, mname, layer, mean_interval(v["top1"], b), mean_interval(v["rank"], b),
                                 mean_interval(v["smooth"], b)])
            top = layers[-1]
            ours = per["wordinfo"]
            for layer in layers:
                t1 = mean_interval(ours[layer]["top1"], b)
                measured.append(Measured(f"{name}, decoder layer {layer}: wordinfo's top-1 (chance {chance:.2f})", t1))
                checks.append(t1.above(chance))
            others = [m for m in per if m not in ("wordinfo", "random")]
            if others:
                best = max(others, key=lambda m: np.nanmean(per[m][top]["top1"]))
                d = difference(np.array(ours[top]["top1"]), np.array(per[best][top]["top1"]), b)
                measured.append(Measured(f"{name}, last decoder layer: top-1, wordinfo minus the best baseline "
                                         f"({best})", d))
                checks.append(d.high >= 0)
                best_s = max(others, key=lambda m: np.nanmean(per[m][top]["smooth"]))
                d = difference(np.array(ours[top]["smooth"]), np.array(per[best_s][top]["smooth"]), b)
                measured.append(Measured(f"{name}, last decoder layer: smoothness across steps, wordinfo minus the "
                                         f"smoothest baseline ({best_s})", d))
                checks.append(d.high >= 0)
        figures = [matrices(plan.root / "figures" / "F8.png", panels)]
        why = (f"{sum(checks)} of {len(checks)} checks hold: wordinfo's top-1 above chance at every decoder layer, "
               "and not below the best baseline's top-1 and smoothness (the difference's interval reaches 0 or above).")
        return self.result(measured, verdict_of(checks), why,
                           tables={"ground truth per decoder layer": table(
                               ["model", "method", "decoder layer", "top-1", "mean rank", "smoothness"], rows)},
                           figures=[str(f.relative_to(plan.root)) for f in figures],
                           how=f"{len(texts)} generated test sequences (the task's test stream) per model. Every "
                               "method scores the input words for every (output step, decoder layer) target "
                               "(decoder:J); the true word's rank among the input words (ties against the method), "
                               "top-1 and mean rank per sequence; smoothness: mean Spearman of adjacent steps' scores "
                               "aligned on the true word. The figure: the first sequence, last decoder layer, each "
                               "row scaled to [0, 1].")
