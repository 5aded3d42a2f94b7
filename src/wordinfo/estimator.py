"""``wordinfo.estimate``: per-word information for any differentiable function of word vectors."""

from __future__ import annotations

import inspect
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from . import objective as obj
from ._checks import check_finite, check_positive
from .device import compute_dtype
from .errors import WordinfoError
from .files import json_ready, write_atomic
from .problem import Problem
from .settings import describe
from .solvers.registry import check_solver, run_solver
from .statistics import PooledMoments

DEFAULT_SCALE = 0.5   # the authors' bound on sigma (about ten times the std of BERT's word embeddings)


@dataclass
class Estimate:
    """Fitted noise scales of a batch of sentences for one function, and what follows from them.

    ``sigma[b, i]`` is the widest noise word ``i`` of sentence ``b`` tolerates (NaN on
    padding). Entropies are per word; totals sum a sentence's words (words independent).
    """

    sigma: np.ndarray            # [B, n] float, NaN on padding
    width: int                   # K, the size of one word vector
    steps: np.ndarray            # [B] optimiser steps
    evaluations: np.ndarray      # [B] noisy inputs evaluated (forward + backward)
    converged: np.ndarray        # [B] bool
    loss: np.ndarray             # [B] final objective
    settings: dict = field(default_factory=dict)
    sampling_error: np.ndarray | None = None   # [B] relative standard error of sigma, worst word (default solver)
    sigma_se: np.ndarray | None = None         # [B, n] std error of log sigma (sigma's relative error), NaN: padding

    @property
    def entropy_bits_se(self) -> np.ndarray | None:
        """The standard error of ``entropy_bits`` (and of ``retained_bits``): ``K / ln 2`` times ``sigma_se``."""
        return None if self.sigma_se is None else obj.bits_error(self.sigma_se, self.width)

    @property
    def mask(self) -> np.ndarray:
        return ~np.isnan(self.sigma)

    @property
    def entropy_nats(self) -> np.ndarray:
        return obj.entropy_nats(self.sigma, self.width)

    @property
    def entropy_bits(self) -> np.ndarray:
        return obj.entropy_bits(self.sigma, self.width)

    @property
    def retained_bits(self) -> np.ndarray:
        """``K log2(scale / sigma)``: information kept relative to the bound (0 = wholly forgotten)."""
        return obj.retained_bits(self.sigma, self.settings["scale"], self.width)

    @property
    def total_nats(self) -> np.ndarray:
        return np.nansum(self.entropy_nats, axis=-1)

    @property
    def total_bits(self) -> np.ndarray:
        return np.nansum(self.entropy_bits, axis=-1)

    def to_dict(self) -> dict:
        """Plain lists and numbers (NaN on padding becomes None), ready for JSON."""
        out = {name: None if getattr(self, name) is None else json_ready(getattr(self, name)) for name in
               ("sigma", "sigma_se", "entropy_nats", "entropy_bits", "entropy_bits_se", "retained_bits",
                "total_nats", "total_bits", "steps", "evaluations", "converged", "loss", "sampling_error")}
        out.update(width=self.width, settings=self.settings)
        return out

    def save(self, path: str | Path) -> Path:
        """Write to ``.npz`` (arrays, plus the settings as JSON); no pickle involved."""
        path = Path(path)
        arrays = {k: np.asarray(v) for k, v in asdict(self).items() if isinstance(v, (np.ndarray, np.generic))}
        meta = json.dumps({"width": self.width, "settings": self.settings, "format": "wordinfo.Estimate/1"})
        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez(f, **arrays, meta=np.frombuffer(meta.encode(), dtype=np.uint8))
        return write_atomic(path, write)

    @classmethod
    def load(cls, path: str | Path) -> "Estimate":
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes().decode())
                return cls(width=meta["width"], settings=meta["settings"],
                           **{k: data[k] for k in ("sigma", "steps", "evaluations", "converged", "loss")},
                           **{k: data[k] if k in data.files else None for k in ("sampling_error", "sigma_se")})
        except (OSError, KeyError, ValueError) as e:
            raise WordinfoError(f"{path} is not a saved wordinfo Estimate ({e}): save one with Estimate.save") from None


def estimate(phi: Callable, x: torch.Tensor, mask: torch.Tensor | None = None, *, lam: float = 0.1,
             scale: float | None = None, feature_std: torch.Tensor | None = None, seed: int = 0,
             solver: str = "default", token_axis: bool | None = None, progress: bool = False,
             dtype: str = "float32", **solver_options) -> Estimate:
    """Fit the widest noise each word of ``x`` tolerates under ``phi``, per sentence.

    ``x`` is ``[batch, n, K]`` (or ``[n, K]``), ``mask`` ``[batch, n]`` is False on padding.
    ``phi(x)`` or ``phi(x, mask)`` returns a tensor with the batch first; when its second
    axis has length ``n`` it is taken as the token axis (override with ``token_axis``) and
    padded positions are left out of the objective. ``feature_std`` (sigma_S, broadcastable
    to one item of the output) normalises each output element; without it each sentence
    uses the scalar ``sqrt(mean(s^2))``. ``scale`` bounds sigma (default 0.5, the authors').
    ``solver="paper"`` runs the authors' algorithm, ``solver="fast"`` a cheap approximation;
    options such as ``precision`` (the standard error each word's sigma is sampled to, relative),
    ``max_samples``, ``control_variate``, ``tol``, ``max_steps`` (default solver) or ``steps``
    (paper, fast) pass through. ``Estimate.sigma_se`` is each word's error bar. ``dtype='bfloat16'``
    (or 'auto') runs the noisy passes
    under autocast: faster where the hardware supports it, for functions that autocast well.
    Half-precision ``x`` (float16, bfloat16): ``phi`` is given its own dtype, and its output is read as
    float32, so the solver's arithmetic (noise, objective, error bars) stays float32, as with ``explain``.
    """
    x, mask, single = _check_inputs(x, mask)
    given = x.dtype
    lam, scale = check_positive("lam", lam), check_positive("scale", DEFAULT_SCALE if scale is None else scale)
    check_solver(solver, solver_options)
    forward1 = _call_with_mask(phi)
    if given in (torch.float16, torch.bfloat16):
        x, half = x.float(), forward1
        forward1 = lambda xs, m: half(xs.to(given), m).float()  # noqa: E731
    clean = _clean_output(forward1, x, mask)
    em = _element_mask(clean, mask, token_axis)
    fs = _resolve_feature_std(feature_std, clean, em)

    def forward(xs, m, targets):
        return [forward1(xs[0], m)]

    problem = Problem(forward=forward, x=x, mask=mask, clean=[clean], feature_std=[fs], element_mask=[em],
                      lam=lam, scale=scale, seed=seed, compute_dtype=compute_dtype(dtype, x.device),
                      names=["phi's output"])
    result = run_solver(problem, solver, progress=progress, **solver_options)
    sigma = result.sigma(scale)[0].masked_fill(~mask.cpu(), float("nan")).numpy()
    se = None if result.log_sigma_se is None else \
        result.log_sigma_se[0].masked_fill(~mask.cpu(), float("nan")).numpy()
    settings = describe(lam=lam, scale=scale, seed=seed, solver=solver, options=result.info,
                        feature_std="given" if feature_std is not None else "mean-square fallback")
    arrays = {"sigma": sigma, "steps": result.steps[0].numpy(), "evaluations": result.evaluations[0].numpy(),
              "converged": result.converged[0].numpy(), "loss": result.loss[0].numpy(),
              "sampling_error": None if result.sampling_error is None else result.sampling_error[0].numpy(),
              "sigma_se": se}
    if single:
        arrays = {k: None if v is None else v[0] for k, v in arrays.items()}
    return Estimate(width=x.shape[-1], settings=settings, **arrays)


def feature_std(phi: Callable, xs: torch.Tensor | Sequence[torch.Tensor], masks: torch.Tensor | None = None,
                *, token_axis: bool | None = None) -> torch.Tensor:
    """sigma_S: the element-wise std of ``phi``'s output over a sample of inputs.

    For outputs with a token axis, all (sentence, real token) positions are pooled,
    so the result has the output's shape without the token axis (``[H]`` for
    ``[batch, n, H]`` states); pass it straight to :func:`estimate`.
    """
    batches = [(xs, masks)] if isinstance(xs, torch.Tensor) else [(x, None) for x in xs]
    forward1 = _call_with_mask(phi)
    moments, dtype = PooledMoments(), None
    for x, m in batches:
        x, m, _ = _check_inputs(x, m)
        out = _clean_output(forward1, x, m)
        dtype = out.dtype
        moments.add(out[m] if _element_mask(out, m, token_axis) is not None else out)   # tokens pooled
    if moments.count < 2:
        raise WordinfoError("feature_std needs at least two samples: pass more sentences")
    return moments.std(dtype)


# ---------------------------------------------------------------- input checks

def _check_inputs(x, mask):
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise WordinfoError("x must be a float tensor [batch, n, K] or [n, K]")
    single = x.dim() == 2
    if single:
        x = x[None]
    if x.dim() != 3 or x.shape[1] == 0 or x.shape[2] == 0:
        raise WordinfoError(f"x must have shape [batch, n, K] or [n, K], got {tuple(x.shape)}")
    if mask is None:
        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
    else:
        mask = torch.as_tensor(mask, device=x.device)
        if single and mask.dim() == 1:
            mask = mask[None]
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise WordinfoError(f"mask has shape {tuple(mask.shape)} but x has {tuple(x.shape)}: "
                                f"mask must be [batch, n] = {tuple(x.shape[:2])}")
        mask = mask.bool()
    if not bool(mask.any(1).all()):
        raise WordinfoError("a sentence has no unmasked word: every row of mask needs at least one True")
    check_finite("x", x[mask])
    return x.detach(), mask, single


def _call_with_mask(phi):
    if not callable(phi):
        raise WordinfoError("phi must be callable: a function or module mapping x [batch, n, K] to a tensor")
    try:
        # required positional parameters only: ``lambda x, W=W: ...`` takes one argument, not a mask
        params = inspect.signature(phi).parameters.values()
        required = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                    and p.default is p.empty]
        takes_mask = len(required) >= 2 or (len(required) == 1 and any(p.kind == p.VAR_POSITIONAL for p in params))
    except (TypeError, ValueError):
        takes_mask = False
    return (lambda x, m: phi(x, m)) if takes_mask else (lambda x, m: phi(x))


def _clean_output(forward1, x, mask):
    probe = x.clone().requires_grad_(True)
    out = forward1(probe, mask)
    if not isinstance(out, torch.Tensor):
        raise WordinfoError(f"phi must return a tensor, got {type(out).__name__}")
    if out.dim() == 0 or out.shape[0] != x.shape[0]:
        raise WordinfoError(f"phi's output must have the batch ({x.shape[0]}) first, got shape {tuple(out.shape)}")
    check_finite("phi's output", out.detach())
    if not out.requires_grad or not _depends_on(out, probe):
        raise WordinfoError("phi's output does not depend on x: nothing to explain "
                            "(is x detached or the model frozen in inference mode?)")
    return out.detach()


def _depends_on(out, x):
    (g,) = torch.autograd.grad(out, x, torch.randn_like(out), allow_unused=True)
    return g is not None and bool(g.abs().sum() > 0)


def _element_mask(out, mask, token_axis):
    is_tokens = out.dim() >= 2 and out.shape[1] == mask.shape[1] if token_axis is None else token_axis
    if not is_tokens:
        return None
    if out.dim() < 2 or out.shape[1] != mask.shape[1]:
        raise WordinfoError(f"token_axis=True but phi's output {tuple(out.shape)} has no axis 1 of length "
                            f"{mask.shape[1]}")
    return mask.reshape(*mask.shape, *([1] * (out.dim() - 2)))


def _resolve_feature_std(fs, clean, em):
    item_shape = clean.shape[1:]
    if fs is None:
        fs = obj.fallback_feature_std(clean, em)
        if bool((fs <= 0).any()):
            raise WordinfoError("phi's output is all zeros for a sentence: pass feature_std explicitly")
        return fs
    fs = torch.as_tensor(fs, dtype=clean.dtype, device=clean.device)
    try:
        ok = torch.broadcast_shapes(fs.shape, item_shape) == item_shape
    except RuntimeError:
        ok = False
    if not ok:
        raise WordinfoError(f"feature_std has shape {tuple(fs.shape)}, which does not broadcast to one output "
                            f"item {tuple(item_shape)}: compute it with wordinfo.feature_std(phi, xs)")
    check_finite("feature_std", fs)
    if bool((fs <= 0).any()):
        raise WordinfoError("feature_std must be > 0 everywhere: floor constant features at a small value")
    return fs.expand(item_shape)[None].expand(clean.shape[0], *item_shape)

