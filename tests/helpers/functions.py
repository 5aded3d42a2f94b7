"""Functions of word vectors whose answer is known, the closed form they are checked against, and the solver's
unclamped view of a problem (for the estimator and solver tests; CPU, small tensors).

The reference for linear functions is the closed form of docs/method.md, computed here
independently from the exact Jacobian (``torch.autograd.functional.jacobian``):

    sigma_i^2 = lam * D / (2 n ||J_i / sigma_S||_F^2),   clipped at ``scale``,

with ``D`` the number of output elements of one item that enter the objective (token
outputs: the real tokens only), ``n`` the number of real words, and, without
``feature_std``, ``sigma_S = sqrt(mean(s^2))`` of that item's clean output (a scalar).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from wordinfo.objective import fallback_feature_std
from wordinfo.problem import Problem
from wordinfo.solvers.registry import run_solver

LAM = 0.1
SCALE = 0.5
PRECISE = dict(precision=0.01, max_samples=1024)


def closed_form(phi, x, mask=None, *, lam=LAM, scale=SCALE, feature_std=None, token_axis=False,
                takes_mask=False, clip=True):
    """Exact optimum for a linear ``phi``, one sentence at a time, NaN on padding. ``[B, n]``."""
    b_count, n, k = x.shape
    if mask is None:
        mask = torch.ones(b_count, n, dtype=torch.bool)
    out = np.full((b_count, n), np.nan)
    for b in range(b_count):
        xb, mb = x[b:b + 1], mask[b:b + 1]
        f = (lambda z, mb=mb: phi(z, mb)[0]) if takes_mask else (lambda z: phi(z)[0])
        s = f(xb).detach().double()                                   # one item's output
        jac = torch.autograd.functional.jacobian(f, xb).double()      # [*item, 1, n, K]
        jac = jac.reshape(*s.shape, n, k)
        if feature_std is None:
            fs = None
        else:
            fs = torch.broadcast_to(torch.as_tensor(feature_std).double(), s.shape)
        if token_axis:                                               # only real tokens' outputs count
            s, jac = s[mb[0]], jac[mb[0]]
            fs = None if fs is None else fs[mb[0]]
        d = s.numel()
        s, jac = s.reshape(d), jac.reshape(d, n, k)
        fs = s.pow(2).mean().sqrt().expand(d) if fs is None else fs.reshape(d)
        sq = (jac / fs[:, None, None]).pow(2).sum(dim=(0, 2))        # ||J_i / sigma_S||_F^2, [n]
        nv = int(mb.sum())
        sig = (lam * d / (2 * nv * sq)).sqrt()
        if clip:
            sig = sig.clamp(max=scale)
        sig = sig.numpy()
        sig[~mb[0].numpy()] = np.nan
        out[b] = sig
    return out


def max_rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b)), "padding (NaN) pattern differs"
    v = ~np.isnan(b)
    return float(np.max(np.abs(a[v] / b[v] - 1)))


def lengths_mask(lengths, n):
    return torch.arange(n)[None, :] < torch.tensor(lengths)[:, None]


# ---------------------------------------------------------------- functions with known answers

def dense_problem(b, n, k, d, spread):
    """phi(x) = einsum('bnk,nkd->bd', x, W): a dense output mixing all words, word scales spread apart."""
    w = torch.randn(n, k, d) / math.sqrt(k) * torch.logspace(-spread, spread, n)[:, None, None]
    return (lambda x: torch.einsum("bnk,nkd->bd", x, w)), torch.randn(b, n, k), None, False


def phi_ignoring_word_2(n, k, d):
    """tanh of a dense linear map of every word but word 2."""
    v = torch.randn(n, k, d)
    keep = torch.ones(n)
    keep[2] = 0.0
    return lambda x: torch.tanh(torch.einsum("bnk,nkd->bd", x * keep[None, :, None], v) / 4)


def mlp_tokens(k, h, seed):
    """A two-layer tanh network of each token plus the sentence's mean: token outputs ``[B, n, h]``, words interact."""
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(k, 16, generator=g) / math.sqrt(k)
    w2 = torch.randn(16, h, generator=g) / 4
    mix = torch.randn(k, k, generator=g) / math.sqrt(k)

    def phi(x):
        ctx = x.mean(dim=1, keepdim=True) @ mix                      # words interact
        return torch.tanh((x + ctx) @ w1) @ w2
    return phi


def graded_problem(targets, k=16, h=8, seed=0):
    """Dense linear phi whose closed-form sigmas (feature_std = 1) are ``targets``."""
    g = torch.Generator().manual_seed(seed)
    t = torch.tensor(targets)
    n = len(t)
    q = torch.randn(k, h, generator=g) / math.sqrt(k)
    amp = (LAM * h / (2 * n * t ** 2 * q.pow(2).sum())).sqrt()
    w = amp[:, None, None] * q
    phi = lambda x: torch.einsum("bnk,nkd->bd", x, w)
    return phi, torch.randn(1, n, k, generator=g), torch.ones(h)


# ---------------------------------------------------------------- the solver's own, unclamped, output

def estimate_problem(phi, x, *, lam=LAM, scale=SCALE, feature_std=None, seed=0) -> Problem:
    """The :class:`Problem` ``wordinfo.estimate(phi, x, lam=..., scale=..., feature_std=..., seed=...)`` solves,
    for a one-argument ``phi`` of ``x [B, n, K]`` (no padding) with a dense output ``[B, ...]``."""
    x = x.detach()
    mask = torch.ones(x.shape[:2], dtype=torch.bool)
    with torch.no_grad():
        clean = phi(x)
    if feature_std is None:
        fs = fallback_feature_std(clean, None)
    else:
        item = clean.shape[1:]
        fs = torch.as_tensor(feature_std, dtype=clean.dtype).expand(item)[None].expand(clean.shape[0], *item)
    return Problem(forward=lambda xs, m, targets: [phi(xs[0])], x=x, mask=mask, clean=[clean], feature_std=[fs],
                   element_mask=[None], lam=lam, scale=scale, seed=seed)


def raw_log_sigma(problem: Problem, solver: str = "default", **options):
    """``(result, log_sigma)``: the solver's result and its ``log sigma`` of the real words ``[targets, words]``,
    as the solver gave it, before any clamp (``SolverResult.sigma`` and ``retained_bits`` clamp on the way out)."""
    result = run_solver(problem, solver, **options)
    return result, result.log_sigma[:, problem.mask.cpu()].double()
