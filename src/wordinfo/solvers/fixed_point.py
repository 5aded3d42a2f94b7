"""The default solver: a per-word root search on common random numbers, with as many samples as precision needs.

Read top to bottom, it does this for every (target, sentence) pair at once:

1. *Warm start from the linearisation.* For small noise the reconstruction error is
   ``sum_i sigma_i^2 ||J_i||^2 / D``; its optimum has a closed form, and ``||J_i||^2``
   for every word comes from a few vector-Jacobian products.
2. *A control variate where it pays* (``control_variate='auto'``). The linearised model's
   response to the very same noise has a known mean, ``2 sigma_i^2 ||J_i||^2 / D``, so only
   the non-linear remainder is sampled: a linear function comes out exact with any number
   of samples (its Jacobian norms exact, by a basis of the output or by central differences
   along the input, when that costs at most ``exact_jacobian`` passes; else estimated to
   half of ``precision``). It costs a second pass per sample, so it is used for a
   (target, sentence) pair only when a pilot shows it cuts the variance at least ``CV_GAIN``-fold (on MiniLM's
   layers it cuts it 1.1-fold at layer 6 to 2.6-fold at layer 1 and is left off; on a linear
   function it removes it: ``benchmarks/noise_designs.py``).
3. *Common random numbers.* Each sentence draws its noise once (independent ``N(0, I)``
   samples per word, directions stratified) and keeps it, so the objective is a smooth
   deterministic function of sigma and a root can be pinned down. Per sample, independent
   draws cut the variance of ``dR/du_i`` 5-fold (MiniLM layer 6) to 12-fold (layer 1)
   against the sign-balanced groups of one draw per word used before.
4. *A step that is exact for linear functions.* With ``u_i = log sigma_i`` and
   ``g_i = dR/du_i``, stationarity is ``g_i = lam / n``. For a linear function ``g_i``
   grows as ``exp(2 u_i)``, so ``u_i += (log(lam/n) - log g_i) / p`` with ``p = 2`` lands on
   the optimum. For a non-linear one ``p`` is re-estimated per word by the secant of
   ``log g`` against ``u``, and a bracket per word turns a step that would leave it into a
   bisection. A step below ``tol`` is taken without evaluating again.
5. *Per-word error bars, and samples until they are small enough.* The spread of the
   samples' ``dR/du_i`` gives the standard error of ``log g_i``, hence of ``log sigma_i``
   (divided by ``p``): ``log_sigma_se``. A pair whose worst word is above ``precision``
   gets the sample count its errors ask for (error falls as ``1/sqrt(samples)``), at least
   twice as many, up to ``max_samples``, and goes on from where it was.
6. *Never worse than the authors' algorithm on a non-monotone error.* A pair with words
   at the bound may sit on a plateau (a saturated classifier whose error falls again at
   large noise): the objective is compared, on the same noise, with sigma shrunk towards the
   interior, and the search restarts from a better point if there is one.
7. *Everything batched.* All sentences, targets (layers) and samples go through the
   function in one call per step; pairs that are done leave the batch.

``converged`` (per pair): the search settled and every word's sigma is known to
``precision`` (relative standard error); ``False`` where ``max_samples`` or ``max_steps`` ran out.

One job, one file: this is the algorithm, meant to be read top to bottom (the driver, the
control variates, the root search, the plateau check, the fast mode); the objective, the
noise and the model passes it uses live elsewhere (``objective.py``, ``noise.py``,
``problem.py``). The method behind it: docs/method.md, "The default solver".
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import torch

from ..objective import linearised_optimum, objective
from ..problem import Problem
from ._result import SolverResult
from .defaults import DEFAULT_PRECISION

NOISE_STREAM, PROBE_STREAM, PILOT_STREAM = 1, 2, 4
CV_GAIN = 10.0          # a control variate must cut the variance this much to pay for its second pass and its norms
GROWTH = 4             # at most this many times the samples per round: the search enters a round close to its root
SHRINKS = (1.0, 2.0, 4.0)   # how far (in log sigma) the plateau check pulls the words at the bound in


def solve_fixed_point(problem: Problem, *, precision: float = DEFAULT_PRECISION, samples: int = 16,
                      max_samples: int = 256, probes: int = 4, control_variate: str = "auto",
                      exact_jacobian: int = 8192, tol: float | None = None, max_steps: int = 20, max_step: float = 3.0,
                      progress: Callable[[int, int], None] | None = None) -> SolverResult:
    t_count, b_count = problem.n_targets, problem.x.shape[0]
    tol = precision if tol is None else tol
    dtype, device = problem.x.dtype, problem.x.device     # all state lives beside the inputs (CPU or GPU)
    upper = math.log(problem.scale)
    items = torch.arange(b_count, device=device)
    n_words = problem.mask.sum(-1)
    d = torch.stack([problem.n_elements(t, items) for t in range(t_count)]).to(dtype)      # [T, B]

    # 1. warm start: the linearised optimum from Hutchinson estimates of ||J_i||^2
    jac, _ = problem.jacobian_sq_norms(items, probes, PROBE_STREAM)                        # [T, B, n]
    u = torch.stack([linearised_optimum(jac[t], d[t], n_words.to(dtype), problem.lam, problem.scale).log()
                     for t in range(t_count)])
    u = u.clamp(upper - 40.0, upper).masked_fill(~problem.mask[None], 0.0)
    evaluations = torch.full((t_count, b_count), probes, dtype=torch.long, device=device)

    # 2. control variates, per target
    cv = _control_variates(problem, u, items, d, control_variate, exact_jacobian, samples, precision)
    evaluations += cv.cost

    state = {
        "steps": torch.zeros(t_count, b_count, dtype=torch.long, device=device),
        "loss": torch.zeros(t_count, b_count, dtype=dtype, device=device),
        "converged": torch.zeros(t_count, b_count, dtype=torch.bool, device=device),
        "se": torch.full_like(u, math.inf),
        "samples": torch.zeros(t_count, b_count, dtype=torch.long, device=device),
    }
    power = torch.full_like(u, 2.0)       # per word: how fast log g grows with log sigma (2 if linear)
    # every pair has its own sample count; pairs that need the same count are searched together
    todo = torch.ones(t_count, b_count, dtype=torch.bool, device=device)
    count = torch.full((t_count, b_count), samples, dtype=torch.long, device=device)
    step_count = 0
    while todo.any():
        more = torch.zeros_like(todo)
        for r in sorted(set(count[todo].tolist())):
            level = todo & (count == r)
            for ts, bs in _blocks(level):
                cells = _take(level, ts, bs)
                eps = problem.noise(bs, r, NOISE_STREAM)
                run = _Search(problem, ts, bs, eps, cv, d, tol, max_steps, max_step)
                sub, p_sub, ok, se, loss, steps = run(_take(u, ts, bs), _take(power, ts, bs), ~cells, progress,
                                                      step_count)
                # 6. the plateau check, on the pairs that leave now, with the noise they end on
                leaving = ~(ok & (se.amax(-1) > precision)) | (r >= max_samples)
                sub, p_sub, ok, se, loss, extra = _plateau_check(run, sub, p_sub, ok, se, loss, ~cells | ~leaving,
                                                                 progress, step_count)
                step_count += int(steps.max())
                worst = se.amax(-1)
                passes = (1 + _take(cv.use, ts, bs).long()) * r
                for key, value in (("steps", _take(state["steps"], ts, bs) + steps), ("loss", loss), ("se", se),
                                   ("converged", ok & (worst <= precision)), ("samples", torch.full_like(steps, r))):
                    _put(state[key], ts, bs, value, cells)
                # each round evaluates once where it starts, then once per step
                _put(evaluations, ts, bs, _take(evaluations, ts, bs) + (steps + 1 + extra) * passes, cells)
                _put(u, ts, bs, sub, cells)
                _put(power, ts, bs, p_sub, cells)
                # 5. the pairs that settled but are not yet precise get the samples their errors ask for:
                # the error falls as 1/sqrt(samples); at least twice as many, a power of two, at most max_samples
                grow = ok & (worst > precision) & (r < max_samples)
                wanted = (r * (worst / precision) ** 2).clamp(2 * r, GROWTH * r).log2().ceil().exp2()
                _put(count, ts, bs, wanted.clamp(max=max_samples).long(), grow)
                _put(more, ts, bs, grow, cells)
        todo = more

    return SolverResult(log_sigma=u, steps=state["steps"], evaluations=evaluations,
                        converged=state["converged"], loss=state["loss"], sampling_error=state["se"].amax(-1),
                        log_sigma_se=state["se"],
                        info={"precision": precision, "samples": samples, "max_samples": max_samples,
                              "probes": probes, "control_variate": control_variate, "exact_jacobian": exact_jacobian,
                              "tol": tol, "max_steps": max_steps,
                              "control_variate_targets": [int(t) for t in cv.use.any(1).nonzero().flatten()],
                              "control_variate_pairs": int(cv.use.sum())},
                        samples=state["samples"])


# ---------------------------------------------------------------- control variates

@dataclasses.dataclass
class _ControlVariate:
    use: torch.Tensor           # [T, B] bool: per pair (target, sentence)
    norms: torch.Tensor         # [T, B, n] ||J_i / sigma_S||_F^2 (float32 passes), where used
    norms_se: torch.Tensor      # [T, B, n] their standard error (0 when exact)
    cost: torch.Tensor          # [T, B] passes spent deciding and measuring


def _control_variates(problem, u, items, d, mode, exact_jacobian, samples, precision) -> _ControlVariate:
    """Decide per pair (target, sentence) whether the linearised control variate pays, and measure what it needs.

    'auto' runs a pilot of a few samples at the warm start: the control variate is kept for a
    pair where it cuts the median word's variance of ``dR/du_i`` at least ``CV_GAIN``-fold. Its
    mean needs ``||J_i||^2``: exact (a basis of the output, or central differences along the
    input, the cheaper for that sentence) when that costs at most ``exact_jacobian`` passes, else
    Hutchinson probes, four times as many a round (64 to 4,096), until that sentence's error is
    below half of ``precision``. Every decision and every probe count is the sentence's own, so
    a sentence gets the same answer alone or in any batch (a decision by the batch's median word
    or worst word would not give it).
    """
    t_count, b_count = u.shape[:2]
    zeros = torch.zeros_like(u)
    cost = torch.zeros(t_count, b_count, dtype=torch.long, device=u.device)
    if mode not in ("auto", "on", "off"):
        from ..errors import WordinfoError
        raise WordinfoError(f"unknown control_variate {mode!r}: use auto, on or off")
    if mode == "off":
        return _ControlVariate(torch.zeros(t_count, b_count, dtype=torch.bool, device=u.device), zeros, zeros, cost)
    linear = dataclasses.replace(problem, compute_dtype=None)
    targets = list(range(t_count))
    if mode == "auto":
        pilot = min(samples, 8)
        eps = problem.noise(items, pilot, PILOT_STREAM)
        _, contrib = problem.sample_errors(u, items, eps, targets, word_grads=True)
        lin = problem.linear_word_grads(u, items, eps, targets)
        ratio = (contrib - lin).var(2) / contrib.var(2).clamp_min(1e-30)                  # [T, B, n]
        per_pair = ratio.masked_fill(~problem.mask[None], math.nan).nanmedian(-1).values
        use = per_pair * CV_GAIN < 1.0
        cost += 2 * pilot
    else:
        use = torch.ones(t_count, b_count, dtype=torch.bool, device=u.device)
    norms, norms_se = zeros.clone(), zeros.clone()
    for t in use.any(1).nonzero().flatten().tolist():
        # sentences grouped by how their norms are measured: each sentence's result is its own
        plans: dict = {}
        for b in use[t].nonzero().flatten().tolist():
            how, passes = problem.exact_jacobian_cost(t, b)
            plans.setdefault(how if passes <= exact_jacobian else None, []).append((b, passes))
        for how, group in plans.items():
            bs = torch.tensor([b for b, _ in group], dtype=torch.long, device=u.device)
            if how is not None:
                n_t, se_t = linear.jacobian_sq_norms(items[bs], 0, PROBE_STREAM + 8, targets=[t], exact=how)
                cost[t, bs] += torch.tensor([passes for _, passes in group], device=u.device)
                norms[t, bs], norms_se[t, bs] = n_t[0], se_t[0]
                continue
            probes, left = 64, bs
            while len(left):
                n_t, se_t = linear.jacobian_sq_norms(items[left], probes, PROBE_STREAM + 8, targets=[t])
                cost[t, left] += 3 * probes
                norms[t, left], norms_se[t, left] = n_t[0], se_t[0]
                rel = (se_t[0] / n_t[0].clamp_min(1e-30)).masked_fill(~problem.mask[items[left]], 0.0).amax(-1)
                left = left[rel > precision / 2] if probes < 4096 else left[:0]
                probes *= 4
    return _ControlVariate(use, norms, norms_se, cost)


# ---------------------------------------------------------------- the root search

class _Search:
    """Fixed-point steps on one fixed noise set, for a sub-grid ``targets x items`` of pairs."""

    def __init__(self, problem, targets, items, eps, cv, d, tol, max_steps, max_step):
        self.problem, self.targets, self.items, self.eps, self.cv = problem, targets, items, eps, cv
        self.d = _take(d, targets, items)                                                # [T', A]
        self.tol, self.max_steps, self.max_step = tol, max_steps, max_step
        self.upper = math.log(problem.scale)
        self.lower = self.upper - 40.0
        self.wm = problem.mask[items][None].expand(len(targets), -1, -1)                  # [T', A, n]
        self.log_goal = torch.log(problem.lam / self.wm.sum(-1).to(problem.x.dtype))[..., None]

    def evaluate(self, u, lt, li):
        """Loss ``[T', A]``, ``dR/du`` and its standard error ``[T', A, n]`` for the sub-grid ``lt x li``."""
        p, targets, items = self.problem, self.targets[lt], self.items[li]
        eps = self.eps[li]
        errors, contrib = p.sample_errors(u, items, eps, targets=targets.tolist(), word_grads=True)
        m = contrib.shape[2]
        loss = objective(errors.mean(-1), u, p.mask[items][None], p.lam)
        extra = torch.zeros_like(u)
        use = _take(self.cv.use, targets, items)                                          # [T', A]
        if bool(use.any()):      # the second pass, on the sub-grid of the pairs that use it
            ut, ui = use.any(1).nonzero().flatten(), use.any(0).nonzero().flatten()
            uu, tc, ic = _take(u, ut, ui), targets[ut], items[ui]
            lin = p.linear_word_grads(uu, ic, eps[ui], tc.tolist())
            slope = 2 * torch.exp(2 * uu) / _take(self.d, lt[ut], li[ui])[..., None]
            where = _take(use, ut, ui)
            _put(contrib, ut, ui, _take(contrib, ut, ui) - lin + (slope * _take(self.cv.norms, tc, ic))[:, :, None],
                 where)
            _put(extra, ut, ui, (slope * _take(self.cv.norms_se, tc, ic)).pow(2), where)
        grad = contrib.mean(2)
        se = (contrib.var(2) / m + extra).sqrt() if m > 1 else torch.full_like(grad, math.inf)
        return loss, grad, se

    def __call__(self, u, power, stopped, progress=None, step_offset=0):
        """Iterate until every pair has stopped moving; returns u, power, settled, se of u, loss, steps."""
        t_count, a = u.shape[:2]
        u, power, stopped = u.clone(), power.clone(), stopped.clone()
        low, high = torch.full_like(u, -math.inf), torch.full_like(u, math.inf)        # the bracket
        steps = torch.zeros(t_count, a, dtype=torch.long, device=u.device)
        settled = torch.zeros_like(stopped)
        last = torch.zeros_like(u)
        all_t, all_i = torch.arange(t_count, device=u.device), torch.arange(a, device=u.device)
        loss, grad, se_g = self.evaluate(u, all_t, all_i)
        for step in range(self.max_steps):
            if stopped.all():
                break
            if progress is not None:
                progress(step_offset + step, int((~stopped).sum()))
            live = ~stopped
            u_new, lo, hi = self._propose(u, grad, power, low, high, live)
            moved = (u_new - u).abs().masked_fill(~self.wm, 0.0).amax(-1)
            small = live & (moved < self.tol)
            # a step below tol is taken as it is, without evaluating again: what it leaves is about
            # the step times the relative error of the power p, counted (as a quarter of the step)
            # in the error bar
            last = torch.where(small[..., None], (u_new - u).abs(), last)
            u = torch.where(small[..., None], u_new, u)
            settled |= small
            stopped |= small
            go = live & ~small
            if not go.any():
                break
            lt, li = go.any(1).nonzero().flatten(), go.any(0).nonzero().flatten()
            cells = _take(go, lt, li)
            ul, un, gl = _take(u, lt, li), _take(u_new, lt, li), _take(grad, lt, li)
            l_new, g_new, s_new = self.evaluate(un, lt, li)
            du = un - ul
            fit = (du.abs() > 1e-3) & (gl > 0) & (g_new > 0) & cells[..., None]
            secant = (g_new.clamp_min(1e-30).log() - gl.clamp_min(1e-30).log()) / du.where(fit, torch.ones_like(du))
            _put(power, lt, li, secant.clamp(0.5, 16.0), fit)
            for t, v in ((low, _take(lo, lt, li)), (high, _take(hi, lt, li)), (u, un), (grad, g_new),
                         (se_g, s_new), (loss, l_new), (steps, _take(steps, lt, li) + 1)):
                _put(t, lt, li, v, cells)
        se = self.word_error(u, grad, se_g, power)
        return u, power, settled, (se.pow(2) + (last / 4).pow(2)).sqrt().masked_fill(~self.wm, 0.0), loss, steps

    def _propose(self, u, grad, power, low, high, live):
        """The next point of every word's root search, and the updated bracket."""
        gap = torch.where(grad > 0, self.log_goal - grad.clamp_min(1e-30).log(),
                          torch.full_like(grad, self.max_step))   # error flat or falling in sigma: head for the bound
        lo = torch.where(gap > 0, u, low)
        hi = torch.where(gap <= 0, u, high)
        stale = lo >= hi                  # other words moved and broke the bracket: keep the newest side
        lo, hi = torch.where(stale & (gap <= 0), -math.inf, lo), torch.where(stale & (gap > 0), math.inf, hi)
        u_new = u + (gap / power).clamp(-self.max_step, self.max_step)
        outside = (u_new < lo) | (u_new > hi)      # a step onto an end of the bracket is allowed: it may be the root
        u_new = torch.where(outside & lo.isfinite() & hi.isfinite(), (lo + hi) / 2, u_new).clamp(self.lower, self.upper)
        keep = ~live[..., None] | ~self.wm
        return torch.where(keep, u, u_new), torch.where(keep, low, lo), torch.where(keep, high, hi)

    def word_error(self, u, grad, se_g, power):
        """Standard error of each word's ``log sigma``: that of ``log g_i`` over the local power ``p_i``.

        A word at the bound whose ``g`` is below the goal by more than two errors has none (it
        would stay at the bound under any noise draw); padding has none.
        """
        se_u = se_g / (grad.abs().clamp_min(1e-30) * power)
        goal = self.log_goal.exp()
        certain = (u >= self.upper - 1e-6) & (grad + 2 * se_g < goal)
        return se_u.masked_fill(~self.wm | certain, 0.0)


def _plateau_check(run, u, power, ok, se, loss, skip, progress, step_offset):
    """Compare each pair's answer with it pulled in from the bound, on the same noise; restart if better.

    Only pairs with a word at the bound are looked at (the saturated case); the cost is one
    forward pass of the noise set per candidate. Returns the updated search results.
    """
    p = run.problem
    at_bound = ((u >= run.upper - 1e-6) & run.wm).any(-1) & ~skip
    # extra evaluations of the noise set per pair: a forward pass per candidate (counted as a whole
    # evaluation), and the restarted search's own (its first one included)
    steps = torch.zeros_like(ok, dtype=torch.long)
    if not at_bound.any():
        return u, power, ok, se, loss, steps
    lt, li = at_bound.any(1).nonzero().flatten(), at_bound.any(0).nonzero().flatten()
    cells = _take(at_bound, lt, li)
    base, wm = _take(u, lt, li), _take(run.wm, lt, li)
    best_u, best_loss = base, _take(loss, lt, li)
    with torch.no_grad():
        for shrink in SHRINKS:
            for cand in (base - shrink * (base >= run.upper - 1e-6).to(base.dtype), base - shrink):
                cand = cand.clamp(run.lower, run.upper).masked_fill(~wm, 0.0)
                errors = p.sample_errors(cand, run.items[li], run.eps[li], targets=run.targets[lt].tolist())
                cl = objective(errors.mean(-1), cand, p.mask[run.items[li]][None], p.lam)
                better = cl < best_loss - 1e-4 * best_loss.abs()
                best_u = torch.where(better[..., None], cand, best_u)
                best_loss = torch.where(better, cl, best_loss)
    _put(steps, lt, li, torch.full_like(cells, 2 * len(SHRINKS), dtype=torch.long), cells)
    moved = (best_u != base).any(-1) & cells
    if not moved.any():
        return u, power, ok, se, loss, steps
    start = u.clone()
    _put(start, lt, li, best_u, moved)
    restart = torch.zeros_like(ok)
    _put(restart, lt, li, moved, moved)
    u2, p2, ok2, se2, loss2, steps2 = run(start, torch.full_like(power, 2.0), ~restart, progress, step_offset)
    # keep the restarted answer only where it ended better than the first one
    better = restart & (loss2 < loss)
    pick = lambda new, old: torch.where(better.reshape(better.shape + (1,) * (new.dim() - 2)), new, old)  # noqa: E731
    steps = steps + torch.where(restart, steps2 + 1, 0)
    return pick(u2, u), pick(p2, power), pick(ok2, ok), pick(se2, se), pick(loss2, loss), steps


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


def solve_fast(problem: Problem, *, steps: int = 1, samples: int = 16, probes: int = 4,
               progress: Callable[[int, int], None] | None = None) -> SolverResult:
    """Interactive mode: the linearised warm start and at most ``steps`` refinements on ``samples`` samples.

    Its error bars are real (from the spread of the samples) but wide: it does not add samples
    to meet a precision. Measured speed and seed agreement: docs/performance.md.
    """
    result = solve_fixed_point(problem, samples=samples, max_samples=samples, precision=math.inf, probes=probes,
                               control_variate="off", tol=1e-2, max_steps=steps, progress=progress)
    result.info = {"steps": steps, "samples": samples, "probes": probes}
    return result
