"""F9: coherency: bits mean the same across layers, raw gradients do not."""

from __future__ import annotations

import numpy as np
import torch

from ...baselines.sentence import SentenceFactory
from ...evaluation.coherency import adjacent_layers
from ..figures import two_scales
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval

PROBES = 16


def gradient_norms(encoder, sentence, targets, probes: int = PROBES, seed: int = 0) -> np.ndarray:
    """``[layers, words]``: the Frobenius norm of each word's Jacobian block ``d s_l / d x_i`` (its pieces'
    squares summed), by Hutchinson's estimate with ``probes`` Gaussian output directions."""
    gen = torch.Generator().manual_seed(seed)
    out = np.zeros((len(targets), len(sentence.word_map.words)))
    tw = np.array(sentence.word_map.token_word)
    with encoder.frozen():
        for row, t in enumerate(targets):
            x = sentence.x.clone().requires_grad_(True)
            s = encoder.forward(x[None], sentence.mask, [t])[0]
            sq = torch.zeros(x.shape[1])
            for _ in range(probes):
                v = torch.randn(s.shape, generator=gen)
                g, = torch.autograd.grad((s * v).sum(), x, retain_graph=True)
                sq += g[0].pow(2).sum(-1)
            per_token = (sq / probes).numpy()
            out[row] = np.sqrt(np.bincount(tw, per_token, minlength=out.shape[1]))
    return out


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
        make = SentenceFactory(encoder)
        spread = {"bits": [], "gradient": []}
        agree = {"bits": [], "gradient": []}
        first = None
        for i, text in enumerate(exp.texts):
            words = [w for w, sp in enumerate(exp.word_maps[i].special) if not sp]
            bits = exp.word_values("kept", i)[:, words]
            grad = gradient_norms(encoder, make(text), targets, seed=plan.seed)[:, words]
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
                               f"Hutchinson's estimate ({PROBES} probes). Spread: log10 of the largest over the "
                               "smallest layer median; agreement: mean Spearman of adjacent layers' per-word values. "
                               f"The figure is the first sentence: \"{exp.texts[0]}\".")
