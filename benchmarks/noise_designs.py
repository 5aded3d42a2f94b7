"""Which noise design estimates dR/dlog sigma_i best per sample: the measurement behind ``Problem.noise``.

    python benchmarks/noise_designs.py [--sentence N] [--samples 384]

On the bundled MiniLM, all six layers, at the default solver's answer for one SST-2 test
sentence, it compares, per layer, the relative standard error of each word's ``g_i =
dR/dlog sigma_i`` (median over words) that one sample's worth of work buys:

* *groups*: the earlier design, one draw per word repeated over ``P`` samples with Hadamard
  signs (``P`` the power of two above the sentence length), so cross terms between words
  cancel; its error per group, over ``sqrt(P)`` to put it per sample;
* *independent*: independent ``N(0, I)`` samples per word (the current design);
* *independent + control variate*: the same, minus the linearised model's response to the same
  noise (which costs a second pass per sample: the last column is per sample of that double cost).

Lower is better; "gain" is the variance ratio of groups to independent samples at equal cost.
"""

from __future__ import annotations

import argparse
import math

import torch

from wordinfo.bench import sst2_sentences
from wordinfo.job import prepare
from wordinfo.noise import orthogonal_draws


def hadamard(size: int) -> torch.Tensor:
    h = torch.ones(1, 1)
    while h.shape[0] < size:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)])
    return h


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentence", type=int, default=200, help="0-based line of the SST-2 test file")
    ap.add_argument("--samples", type=int, default=384)
    args = ap.parse_args()
    text = sst2_sentences()[args.sentence]
    job = prepare(None, layers="all")
    with job.encoder.frozen():
        p, _ = job.problem([text])
        u = job.solve(p).log_sigma.to(p.x.device)
        n, k, t_count = int(p.mask.sum()), p.width, p.n_targets
        items = torch.tensor([0])
        free = (u[:, 0] < math.log(p.scale) - 1e-6)                          # [T, n]: words inside the bound

        def per_sample(eps):
            _, c = p.sample_errors(u, items, eps, word_grads=True)
            return c[:, 0]                                                      # [T, M, n]

        size = 1 << n.bit_length()
        groups = max(2, args.samples // size)
        signs = hadamard(size)[:, 1:n + 1]
        z = orthogonal_draws(123, n, k, groups)
        grouped = per_sample((signs[None, :, :, None] * z[:, None]).reshape(1, groups * size, n, k))
        grouped = grouped.view(t_count, groups, size, n).mean(2)                # one estimate per group
        eps = orthogonal_draws(77, n, k, args.samples)[None]
        independent = per_sample(eps)
        linear = p.linear_word_grads(u, items, eps, list(range(t_count)))[:, 0]
        print(f"{text!r}: {n} tokens, K = {k}; groups of {size} samples ({groups} groups), "
              f"{args.samples} independent samples")
        print("layer  groups/sample  independent/sample  gain   with control variate (per double-cost sample)")
        for t in range(t_count):
            m = free[t]
            mean = independent[t].mean(0)
            rel = lambda v: float((v.std(0) / mean.abs())[m].median())  # noqa: E731
            g, i, cv = rel(grouped[t]) * math.sqrt(size), rel(independent[t]), rel(independent[t] - linear[t])
            print(f"{t + 1:5d}  {g:13.3f}  {i:18.3f}  {(g / i) ** 2:4.1f}x  {cv * math.sqrt(2):.3f} "
                  f"(variance cut {(i / cv) ** 2:.1f}x for 2x the cost)")


if __name__ == "__main__":
    main()
