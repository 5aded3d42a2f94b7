"""How far two solvers' answers agree: Spearman of sigma, seed agreement, and the objective on common noise.

No solver is judged on its own noise draws: :func:`common_objective` evaluates every answer on
one fixed set of fresh Gaussian samples, and :func:`objective_gap` compares answers on it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..objective import objective
from .timing import SolverRun

COMMON_SAMPLES = 1024     # the common-noise objective: enough that a 0.1% gap is above its own noise


@torch.no_grad()
def common_objective(problem, log_sigma: torch.Tensor, samples: int = COMMON_SAMPLES) -> torch.Tensor:
    """The objective ``[T, B]`` of an answer on fresh iid Gaussian noise, the same for every solver."""
    g = torch.Generator().manual_seed(20190609)
    device = problem.x.device
    eps = torch.randn(problem.x.shape[0], samples, *problem.x.shape[1:], generator=g).to(device)
    eps = eps * problem.mask[:, None, :, None]
    items = torch.arange(problem.x.shape[0], device=device)
    log_sigma = log_sigma.to(device)
    errors = problem.sample_errors(log_sigma, items, eps).mean(-1)
    return objective(errors, log_sigma, problem.mask[None], problem.lam).cpu()


def agreement(problems, a: list, b: list) -> list[float]:
    """Spearman correlation of sigma over the real tokens of every (sentence, layer)."""
    from scipy.stats import spearmanr
    out = []
    for p, ua, ub in zip(problems, a, b):
        for t in range(ua.shape[0]):
            for i in range(ua.shape[1]):
                m = p.mask[i].cpu()
                out.append(float(spearmanr(ua[t, i, m].numpy(), ub[t, i, m].numpy())[0]))
    return out


def seed_agreement(problems, a: SolverRun, b: SolverRun, scale: float) -> dict:
    """How two seeds' answers agree, per (sentence, layer) and per word, and whether the error bars cover it.

    Spearman of sigma per pair (median, 10th percentile, min; and its median over the words not
    at the bound in both answers, for pairs with three such words or more), the median word's
    |log sigma_a - log sigma_b|, and the share of words with that difference within
    ``1.96 sqrt(se_a^2 + se_b^2)`` (words at the bound in both answers left out: they agree exactly).
    """
    from scipy.stats import spearmanr
    rho, rho_free, diffs, covered = [], [], [], []
    upper = float(np.log(scale)) - 1e-6
    for p, ua, ub, sa, sb in zip(problems, a.log_sigma, b.log_sigma, a.log_sigma_se, b.log_sigma_se):
        for t in range(ua.shape[0]):
            for i in range(ua.shape[1]):
                m = p.mask[i].cpu()
                x, y = ua[t, i, m].numpy(), ub[t, i, m].numpy()
                rho.append(float(spearmanr(x, y)[0]) if len(x) > 1 else 1.0)
                free = ~((x >= upper) & (y >= upper))
                if free.sum() >= 3:
                    rho_free.append(float(spearmanr(x[free], y[free])[0]))
                d = np.abs(x - y)[free]
                bar = 1.96 * np.sqrt(sa[t, i, m].numpy() ** 2 + sb[t, i, m].numpy() ** 2)[free]
                diffs.extend(d.tolist())
                covered.extend((d <= bar + 1e-9).tolist())
    rho = np.nan_to_num(np.array(rho), nan=1.0)
    return {"pairs": len(rho), "words": len(diffs), "spearman_median": float(np.median(rho)),
            "spearman_p10": float(np.percentile(rho, 10)), "spearman_min": float(np.min(rho)),
            "spearman_free_median": float(np.median(np.nan_to_num(rho_free, nan=1.0))) if rho_free else None,
            "pairs_free": len(rho_free),
            "median_abs_log_ratio": float(np.median(diffs)), "error_bar_coverage": float(np.mean(covered))}


def objective_gap(problems, answer: list, reference: list) -> list[float]:
    """Relative excess of ``answer``'s common-noise objective over ``reference``'s, per (sentence, layer).

    Positive means worse than the reference; the objective is normalised by the
    reference's absolute value.
    """
    gaps = []
    for p, ua, ur in zip(problems, answer, reference):
        la, lr = common_objective(p, ua), common_objective(p, ur)
        gaps.extend(((la - lr) / lr.abs()).flatten().tolist())
    return gaps


def agreement_row(problems, answer: list, reference: list) -> dict:
    """Spearman (median, min) and objective gap (max, median) of ``answer`` against ``reference``."""
    rho = agreement(problems, answer, reference)
    gap = objective_gap(problems, answer, reference)
    return dict(spearman_median=float(np.median(rho)), spearman_min=float(np.min(rho)),
                objective_gap_max=float(np.max(gap)), objective_gap_median=float(np.median(gap)))
