"""The default solver: a per-word fixed-point iteration on a fixed, growing set of noise samples.

Why it is fast (METHOD.md, "where the speed is"):

1. *Warm start from the linearisation.* For small noise the reconstruction error
   is ``sum_i sigma_i^2 ||J_i||^2 / D``; its optimum has a closed form, and
   ``||J_i||^2`` for every word comes from a few vector-Jacobian products.
2. *Common random numbers.* Each sentence draws its noise once and keeps it, so
   the objective is a smooth deterministic function: steps can be large and
   convergence can be tested. The noise comes in sign-balanced groups
   (:meth:`Problem.noise`) in which the cross terms between words cancel.
3. *A step that is exact for linear functions.* With ``u_i = log sigma_i`` and
   ``g_i = dR/du_i`` (R the reconstruction error), stationarity is
   ``g_i = lam / n``. For a linear function ``g_i`` grows as ``exp(2 u_i)``, so
   ``u_i += (log(lam/n) - log g_i) / p`` with ``p = 2`` lands on the optimum in one
   step. For a non-linear function ``p`` is re-estimated per word by the secant of
   ``log g`` against ``u``, and a bracket per word turns a step that would leave it
   into a bisection.
4. *Enough samples, no more.* Each noise group gives its own estimate of ``g``;
   their spread gives the standard error of the answer. A (target, sentence) pair
   whose ``sigma`` is not yet known to ``precision`` (relative) gets twice the groups
   and iterates on from where it was, up to ``max_groups``. ``precision`` 0.2 (the worst
   word's sigma known to 20%) halves the work of 0.1 for a median Spearman of 0.99
   between the two answers and objectives within 0.4% (6 SST-2 sentences, MiniLM).
5. *Everything batched.* All sentences, targets (layers) and samples go through
   the function in one call per step; converged sentences leave the batch.

Convergence, per (target, sentence): an accepted step moved no word's ``sigma``
by more than ``tol`` (relative), and the sampling error is below ``precision``
(or ``max_groups`` was reached: then ``converged`` is False for that sentence).
``tol`` defaults to a quarter of ``precision`` (0.05): pinning the fixed point of one
noise draw closer than that refines a value the draw itself leaves uncertain by 20%.
Against ``tol`` 0.01 it took 8% fewer evaluations for a median Spearman of 1.000 (min
0.941) and objectives within 0.36% (16 SST-2 sentences, MiniLM: benchmarks/solver_settings.py).
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from ..objective import linearised_optimum, objective
from ..problem import Problem
from ._result import SolverResult

NOISE_STREAM, PROBE_STREAM = 1, 2


def solve_fixed_point(problem: Problem, *, groups: int = 2, max_groups: int = 8, precision: float = 0.2,
                      probes: int = 4, tol: float | None = None, max_steps: int = 20, max_step: float = 3.0,
                      progress: Callable[[int, int], None] | None = None) -> SolverResult:
    t_count, b_count = problem.n_targets, problem.x.shape[0]
    tol = precision / 4 if tol is None else tol
    dtype, device = problem.x.dtype, problem.x.device     # all state lives beside the inputs (CPU or GPU)
    upper = math.log(problem.scale)
    items = torch.arange(b_count, device=device)
    n_words = problem.mask.sum(-1)

    # warm start: the linearised optimum from Hutchinson estimates of ||J_i||^2
    jac = problem.jacobian_sq_norms(items, probes, PROBE_STREAM)                   # [T, B, n]
    u = torch.stack([linearised_optimum(jac[t], problem.n_elements(t, items), n_words.to(dtype),
                                        problem.lam, problem.scale).log() for t in range(t_count)])
    u = u.clamp(upper - 40.0, upper).masked_fill(~problem.mask[None], 0.0)

    state = {
        "steps": torch.zeros(t_count, b_count, dtype=torch.long, device=device),
        "evaluations": torch.full((t_count, b_count), probes, dtype=torch.long, device=device),
        "loss": torch.zeros(t_count, b_count, dtype=dtype, device=device),
        "converged": torch.zeros(t_count, b_count, dtype=torch.bool, device=device),
        "error": torch.full((t_count, b_count), math.inf, dtype=dtype, device=device),
    }
    power = torch.full_like(u, 2.0)       # per word: how fast log g grows with log sigma (2 if linear)
    todo, r, done_steps = torch.ones(t_count, b_count, dtype=torch.bool, device=device), groups, 0
    while todo.any():
        more = torch.zeros_like(todo)
        for ts, bs in _blocks(todo):
            cells = _take(todo, ts, bs)
            eps = problem.noise(bs, r, NOISE_STREAM)
            sub, p_sub, ok, err, loss, steps = _iterate(problem, _take(u, ts, bs), _take(power, ts, bs), ts, bs, eps,
                                                        r, ~cells, tol, max_steps, max_step, progress, done_steps)
            done_steps += int(steps.max())
            _put(u, ts, bs, sub, cells)
            _put(power, ts, bs, p_sub, cells)
            _put(state["steps"], ts, bs, _take(state["steps"], ts, bs) + steps, cells)
            _put(state["evaluations"], ts, bs, _take(state["evaluations"], ts, bs) + steps * eps.shape[1], cells)
            _put(state["loss"], ts, bs, loss, cells)
            _put(state["error"], ts, bs, err, cells)
            _put(state["converged"], ts, bs, ok & (err <= precision), cells)
            # only the (target, sentence) pairs that converged but are not yet precise get more noise
            _put(more, ts, bs, ok & (err > precision), cells)
        if r * 2 > max_groups:
            break
        todo, r = more, r * 2

    return SolverResult(log_sigma=u, steps=state["steps"], evaluations=state["evaluations"],
                        converged=state["converged"], loss=state["loss"], sampling_error=state["error"],
                        info={"groups": groups, "max_groups": max_groups, "precision": precision,
                              "probes": probes, "tol": tol, "max_steps": max_steps})


def _blocks(todo: torch.Tensor):
    """Sub-grids (targets, sentences) covering the pairs to do: one, or one per target when sparse.

    Evaluating a grid costs every target for every sentence in it; once only a few
    pairs are left (typically the deep layers of some sentences), one grid per target wastes less.
    """
    ts, bs = todo.any(1).nonzero().flatten(), todo.any(0).nonzero().flatten()
    if todo.sum() >= 0.5 * len(ts) * len(bs):
        return [(ts, bs)]
    return [(t.reshape(1), todo[t].nonzero().flatten()) for t in ts]


def _take(t: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """``t[rows][:, cols]`` as one gather (targets x sentences sub-grid)."""
    return t[rows[:, None], cols[None, :]]


def _put(t: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, value: torch.Tensor, where: torch.Tensor):
    """Write ``value`` into the sub-grid ``(rows, cols)`` of ``t`` where ``where`` is True."""
    old = _take(t, rows, cols)
    w = where.reshape(where.shape + (1,) * (old.dim() - where.dim()))
    t[rows[:, None], cols[None, :]] = torch.where(w, value, old)


def _iterate(problem, u, power, targets, items, eps, groups, stopped, tol, max_steps, max_step, progress,
             step_offset):
    """Fixed-point steps on fixed noise until every (target, sentence) has stopped moving.

    ``u`` is ``[T', A, n]`` for ``targets`` x ``items``; ``stopped`` marks pairs to leave as they are.
    Each word solves ``log g_i(u_i) = log(lam / n)`` as a 1-D root: the fixed-point step
    ``(log(lam/n) - log g_i) / p_i`` with ``p_i`` from the secant, safeguarded by a bracket
    (the last ``u_i`` found too small and too large) that falls back to bisection when a step
    would leave it: words whose response to noise has a threshold cannot oscillate.
    Each step evaluates only the sub-grid of targets and sentences with a pair still moving.
    """
    t_count, a = u.shape[:2]
    upper, lower = math.log(problem.scale), math.log(problem.scale) - 40.0
    wm = problem.mask[items][None].expand(t_count, -1, -1)                         # [T', A, n]
    log_goal = torch.log(problem.lam / wm.sum(-1).to(u.dtype))[..., None]          # [T', A, 1]
    power = power.clone()
    low, high = torch.full_like(u, -math.inf), torch.full_like(u, math.inf)        # the bracket
    steps = torch.zeros(t_count, a, dtype=torch.long, device=u.device)
    stopped = stopped.clone()
    loss, grad, group_grads = _evaluate(problem, u, targets, items, eps, groups)
    for step in range(max_steps):
        if stopped.all():
            break
        if progress is not None:
            progress(step_offset + step, int((~stopped).sum()))
        lt, li = (~stopped).any(1).nonzero().flatten(), (~stopped).any(0).nonzero().flatten()
        ul, gl, frozen, m, pl = (_take(v, lt, li) for v in (u, grad, stopped, wm, power))
        # error flat (or falling) in sigma: the word is ignored, head for the bound
        gap = torch.where(gl > 0, _take(log_goal, lt, li) - gl.clamp_min(1e-30).log(), torch.full_like(gl, max_step))
        lo = torch.where(gap > 0, ul, _take(low, lt, li))
        hi = torch.where(gap <= 0, ul, _take(high, lt, li))
        stale = lo >= hi                  # other words moved and broke the bracket: keep the newest side
        lo, hi = torch.where(stale & (gap <= 0), -math.inf, lo), torch.where(stale & (gap > 0), math.inf, hi)
        u_new = ul + (gap / pl).clamp(-max_step, max_step)
        outside = (u_new <= lo) | (u_new >= hi)
        u_new = torch.where(outside & lo.isfinite() & hi.isfinite(), (lo + hi) / 2, u_new).clamp(lower, upper)
        u_new = torch.where(frozen[..., None] | ~m, ul, u_new)
        l_new, g_new, gg_new = _evaluate(problem, u_new, targets[lt], items[li], eps[li], groups)
        du = u_new - ul
        moved = du.abs().masked_fill(~m, 0.0).amax(-1)
        fit = (du.abs() > 1e-3) & (gl > 0) & (g_new > 0) & ~frozen[..., None]
        secant = (g_new.clamp_min(1e-30).log() - gl.clamp_min(1e-30).log()) / du.where(fit, torch.ones_like(du))
        live = ~frozen
        _put(power, lt, li, secant.clamp(0.5, 16.0), fit)
        _put(low, lt, li, lo, live)
        _put(high, lt, li, hi, live)
        _put(u, lt, li, u_new, live)
        _put(grad, lt, li, g_new, live)
        _put(group_grads, lt, li, gg_new, live)
        _put(loss, lt, li, l_new, live)
        _put(steps, lt, li, _take(steps, lt, li) + 1, live)
        _put(stopped, lt, li, moved < tol, live)
    error = _sampling_error(grad, group_grads, power, u, wm, upper, problem.width)
    return u, power, stopped, error, loss, steps


def _evaluate(problem, u, targets, items, eps, groups):
    """Loss ``[T', A]``, ``dR/du`` ``[T', A, n]`` and its per-group estimates ``[T', A, groups, n]``."""
    errors, contrib = problem.sample_errors(u, items, eps, targets=targets.tolist(), word_grads=True)
    t, a, m, n = contrib.shape
    loss = objective(errors.mean(-1), u, problem.mask[items][None], problem.lam)
    return loss, contrib.mean(2), contrib.view(t, a, groups, m // groups, n).mean(3)


def _sampling_error(grad, group_grads, power, u, wm, upper, width):
    """Standard error of the fixed point ``u*`` from the spread of the groups' gradients (max over words)."""
    groups = group_grads.shape[2]
    if groups < 2:
        return torch.full(grad.shape[:2], math.inf, dtype=grad.dtype, device=grad.device)
    # Each word's draws are orthogonal directions, K to a frame: full frames are exact, and
    # the s = groups mod K draws of the last frame are a sample without replacement from
    # it, so the naive error std/sqrt(groups) is scaled by sqrt(s (1 - s/K) / groups)
    # (= sqrt(1 - groups/K) while groups < K, the finite-population correction).
    partial = groups % width
    se_g = group_grads.std(dim=2) * math.sqrt(partial * (1.0 - partial / width)) / groups
    se_u = se_g / (grad.abs().clamp_min(1e-30) * power)
    at_bound = u >= upper - 1e-6
    return se_u.masked_fill(~wm | at_bound, 0.0).amax(-1)


def solve_fast(problem: Problem, *, steps: int = 1, probes: int = 4,
               progress: Callable[[int, int], None] | None = None) -> SolverResult:
    """Interactive mode: the linearised warm start and at most ``steps`` refinements on one noise group.

    No sampling-precision check (one group gives no spread to measure): ``converged`` only
    says the steps settled. Measured speed and agreement with the default solver:
    docs/performance.md.
    """
    result = solve_fixed_point(problem, groups=1, max_groups=1, precision=math.inf, probes=probes, tol=1e-2,
                               max_steps=steps, progress=progress)
    result.info = {"steps": steps, "probes": probes, "groups": 1}
    return result
