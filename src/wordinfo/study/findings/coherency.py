"""F9: coherency: bits mean the same across layers, raw gradients do not."""

from __future__ import annotations

import numpy as np
import torch

from ...evaluation.coherency import adjacent_layers
from ...job import Job
from ...settings import describe
from ..figures import two_scales
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval

PROBES = 16


def gradient_norms(encoder, text: str, word_map, targets, probes: int = PROBES, seed: int = 0) -> np.ndarray:
    """``[layers, words]``: the Frobenius norm of each word's Jacobian block ``d s_l / d x_i``, raw (sigma_S = 1),
    its pieces' squares added: the solver's own Hutchinson estimate
    (:meth:`wordinfo.problem.Problem.jacobian_sq_norms`, ``probes`` Rademacher directions, seeded by the sentence)."""
    job = Job(encoder=encoder, targets=list(targets), feature_stds=[torch.ones(()) for _ in targets], truncate=True,
              options={}, settings=describe(lam=0.1, scale=1.0, seed=seed, solver="default", feature_std="1 (raw)"))
    with encoder.frozen():
        problem, _ = job.problem([text])
        sq, _ = problem.jacobian_sq_norms(torch.arange(1), probes, stream=0)
    return np.sqrt(word_map.merge(sq[:, 0].detach().numpy()))


class Coherency(Finding):
    id = "F9"
    title = "Coherency across layers: bits compare, gradient scales do not"
    paper = ("The measure means the same thing in every layer: its values stay on one scale from layer to layer, "
             "while raw gradient norms vary by orders of magnitude across layers and cannot be compared.")

    def measure(self, data):
        plan, b = data.plan, data.plan.bootstrap
        name = data.reference
        exp = data.first_sentences(name, 2 if plan.quick else 8)
        encoder = data.encoder(name)
        targets = encoder.targets("all", "tokens")
        spread = {"bits": [], "gradient": []}
        agree = {"bits": [], "gradient": []}
        first = None
        for i, text in enumerate(exp.texts):
            words = [w for w, sp in enumerate(exp.word_maps[i].special) if not sp]
            bits = exp.word_values("kept", i)[:, words]
            grad = gradient_norms(encoder, text, exp.word_maps[i], targets, seed=plan.seed)[:, words]
            for key, v in (("bits", bits), ("gradient", grad)):
                med = np.median(v, axis=1)
                spread[key].append(float(np.log10(med.max() / max(med.min(), 1e-30))))
                agree[key].append(float(np.mean(adjacent_layers(v, list(range(len(v)))))) if len(words) > 2
                                  else np.nan)
            if first is None:
                first = (bits, grad)
        s_bits, s_grad = mean_interval(spread["bits"], b), mean_interval(spread["gradient"], b)
        d_spread = difference(np.array(spread["gradient"]), np.array(spread["bits"]), b)
        a_bits, a_grad = mean_interval(agree["bits"], b), mean_interval(agree["gradient"], b)
        measured = [Measured("bits kept: log10(largest / smallest layer median) per sentence", s_bits, "orders"),
                    Measured("raw gradient norm: log10(largest / smallest layer median)", s_grad, "orders"),
                    Measured("gradient spread minus bits spread (paired by sentence)", d_spread, "orders"),
                    Measured("adjacent-layer Spearman of per-word values: bits kept", a_bits),
                    Measured("adjacent-layer Spearman of per-word values: gradient norm", a_grad)]
        checks = [s_grad.estimate >= 1.0, d_spread.above(0)]
        layers = [int(label) for label in exp.layers]
        bits, grad = first
        figures = [two_scales(plan.root / "figures" / "F9.png", layers, {
            "bits kept (median, 10-90% of words)": (np.median(bits, 1), np.percentile(bits, 10, 1),
                                                    np.percentile(bits, 90, 1)),
            "raw gradient norm ||d s_l / d x_i||": (np.median(grad, 1), np.percentile(grad, 10, 1),
                                                    np.percentile(grad, 90, 1))})]
        why = (f"the raw gradient norm's layer medians span {s_grad.estimate:.2f} orders of magnitude, the bits "
               f"kept {s_bits.estimate:.2f}; adjacent layers agree at Spearman {a_bits.estimate:.2f} (bits) and "
               f"{a_grad.estimate:.2f} (gradients).")
        return self.result(measured, verdict_of(checks), why,
                           tables={"per layer, first sentence": table(
                               ["layer", "bits kept, median", "gradient norm, median"],
                               [[la, float(np.median(bits[r])), float(np.median(grad[r]))]
                                for r, la in enumerate(layers)])},
                           figures=[str(f.relative_to(plan.root)) for f in figures],
                           how=f"{name}, its first {len(exp.texts)} SST-2 test sentences, every layer's token states. "
                               f"Bits kept from the corpus run; raw gradient norms ||d s_l / d x_i||_F per word by "
                               f"the solver's Hutchinson estimate ({PROBES} Rademacher probes). Spread: log10 of the "
                               "largest over the smallest layer median; agreement: mean Spearman of adjacent layers' "
                               f"per-word values. The figure is the first sentence: \"{exp.texts[0]}\".")
