"""The authors' released algorithm (docs/method.md, "The authors' algorithm"): the baseline to compare against.

One sentence and one target at a time; ``sigma_i = scale * sigmoid(r_i)`` with
``r ~ N(0, 1)``; each step draws one noise sample; Adam (lr 0.01) for a fixed
number of steps (5,000); the parameters of the step with the lowest (noisy)
loss are kept.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from ..errors import WordinfoError
from ..objective import objective
from ..problem import Problem
from ._result import SolverResult


def solve_paper(problem: Problem, *, steps: int = 5000, lr: float = 0.01,
                progress: Callable[[int, int], None] | None = None) -> SolverResult:
    t_count, b_count, n = problem.n_targets, problem.x.shape[0], problem.x.shape[1]
    dtype, device = problem.x.dtype, problem.x.device
    u = torch.zeros(t_count, b_count, n, dtype=dtype, device=device)
    best_loss = torch.zeros(t_count, b_count, dtype=dtype, device=device)
    seeds = problem.item_seeds(stream=3)
    log_scale = math.log(problem.scale)
    done = 0
    for b in range(b_count):
        items = torch.tensor([b], device=device)
        wm = problem.mask[b:b + 1]
        for t in range(t_count):
            g = torch.Generator().manual_seed(int(seeds[b]) + t)
            # drawn on the CPU from a seeded generator, so every device sees the same numbers
            r = torch.randn(1, 1, n, generator=g, dtype=dtype).to(device).requires_grad_(True)
            opt = torch.optim.Adam([r], lr=lr)
            best, best_r = math.inf, r.detach().clone()
            for _ in range(steps):
                eps = torch.randn(1, 1, *problem.x.shape[1:], generator=g, dtype=dtype).to(device)
                eps = eps * wm[:, None, :, None]
                log_sigma = torch.nn.functional.logsigmoid(r) + log_scale
                recon = problem.reconstruction(log_sigma, items, eps, targets=[t])
                loss = objective(recon, log_sigma, wm, problem.lam).sum()
                opt.zero_grad()
                loss.backward()
                if loss.item() < best:
                    best, best_r = loss.item(), r.detach().clone()
                opt.step()
            if not math.isfinite(best):         # never a sigma whose loss is not finite
                raise WordinfoError(f"{problem.name(t)}: no step of the paper solver had a finite loss: check "
                                    "the model (a half-precision overflow? try --dtype float32)")
            u[t, b] = (torch.nn.functional.logsigmoid(best_r) + log_scale)[0, 0].masked_fill(~wm[0], 0.0)
            best_loss[t, b] = best
            done += 1
            if progress is not None:
                progress(done, t_count * b_count - done)       # fits done, fits left
    full = torch.full((t_count, b_count), steps, dtype=torch.long)
    return SolverResult(log_sigma=u, steps=full, evaluations=full.clone(),
                        converged=torch.zeros(t_count, b_count, dtype=torch.bool), loss=best_loss,
                        # the luckiest of 5,000 noisy steps has no error bar of its own: unknown, not zero
                        log_sigma_se=torch.full_like(u, float("nan")).cpu(),
                        info={"steps": steps, "lr": lr})
