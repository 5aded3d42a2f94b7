"""What a solver is given: a function with one or more targets, and the inputs to explain.

A *target* is one hidden state to explain (a layer's token states, the [CLS]
state, the logits...). Several targets of one model are explained in one pass:
``forward`` receives one noisy copy of the input per target and returns each
target's output, so an adapter can let copy ``t`` leave a stack of layers where
target ``t`` lives. The solvers only ever see this interface.

A noisy pass whose output is NaN or Inf for any sample ends the solve with one line naming the
target and the share of samples affected (:meth:`Problem.sample_errors`): a solver never averages
over, or optimises, a loss that is not finite.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from .errors import WordinfoError
from .noise import orthogonal_draws
from .objective import reconstruction_error

DIFFERENCE_STEP = 1e-2   # central-difference step for exact Jacobian norms, relative to the bound on sigma
LINEAR_SHRINK = 1e-2   # the noise scale, relative to sigma, at which a pass measures the linearised response

# forward(xs [T', N, n, K], mask [N, n], targets [T']) -> T' outputs, each [N, ...]
MultiForward = Callable[[torch.Tensor, torch.Tensor, Sequence[int]], list]


@dataclass
class Problem:
    forward: MultiForward
    x: torch.Tensor                     # [B, n, K] clean input
    mask: torch.Tensor                  # [B, n] bool, False on padding
    clean: list                         # per target: clean output [B, ...]
    feature_std: list                   # per target: [B, ...] broadcastable to the output
    element_mask: list                  # per target: bool broadcastable to the output, or None
    lam: float
    scale: float
    seed: int = 0
    max_tokens: int = 16384     # token positions per forward pass; bounds memory, not results (memory.py)
    compute_dtype: torch.dtype | None = None   # run noisy passes under autocast to this dtype (e.g. bfloat16)
    names: Sequence[str] | None = None  # per target, what messages call it ('layer 3'); None: 'target T'

    @property
    def n_targets(self) -> int:
        return len(self.clean)

    @property
    def width(self) -> int:
        return self.x.shape[-1]

    def n_words(self, items: torch.Tensor) -> torch.Tensor:
        return self.mask[items].sum(-1)

    def n_elements(self, target: int, items: torch.Tensor) -> torch.Tensor:
        """``D``: how many output elements of each item enter the objective."""
        shape = self.clean[target][items].shape
        em = self.element_mask[target]
        if em is None:
            return torch.full((len(items),), float(shape[1:].numel()), device=self.x.device)
        return torch.broadcast_to(em[items], shape).reshape(len(items), -1).sum(-1).float()

    def _chunks(self, n_items: int, copies_per_item: int) -> list[slice]:
        """Slices of items whose copies fit ``max_tokens`` token positions in one pass.

        Items' samples are independent, so evaluating them in chunks bounds memory and
        changes no result.
        """
        step = max(1, self.max_tokens // (copies_per_item * self.x.shape[1]))
        return [slice(i, i + step) for i in range(0, n_items, step)]

    def _autocast(self):
        """Autocast for the noisy passes: matrix products in ``compute_dtype``, the rest in float32.

        The objective compares a noisy output with the clean one; rounding to bfloat16
        (8 mantissa bits) adds about 1e-5 to a unit-variance feature's squared error,
        far below the ~lam/2 error an answer balances, while bfloat16 matrix products
        run several times faster on CPUs with AVX512-BF16 / AMX and on GPUs
        (docs/performance.md measures both the speed and the agreement).
        """
        if self.compute_dtype is None or self.compute_dtype == self.x.dtype:
            return contextlib.nullcontext()
        return torch.autocast(self.x.device.type, dtype=self.compute_dtype)

    def item_seeds(self, stream: int) -> torch.Tensor:
        """One seed per item from the seed, a stream id and the item's own input values.

        Keyed by content, so a sentence draws the same noise alone or anywhere in a batch.
        """
        seeds = []
        for b in range(self.x.shape[0]):
            data = self.x[b][self.mask[b]].detach().cpu().float().contiguous().numpy().tobytes()
            h = hashlib.blake2b(data, digest_size=8, key=f"{self.seed}:{stream}".encode())
            seeds.append(int.from_bytes(h.digest(), "little") & 0x7FFF_FFFF_FFFF_FFFF)
        return torch.tensor(seeds, dtype=torch.long)

    def noise(self, items: torch.Tensor, count: int, stream: int) -> torch.Tensor:
        """``count`` independent noise samples per item, ``[A, count, n, K]``, zero on padding.

        Every word draws its own ``N(0, I)`` samples (:func:`orthogonal_draws`), independent
        of the other words', seeded by the item's content and the stream alone: a sentence
        gets the same noise alone or in any batch, and more samples extend the same set.
        Independent samples beat sign-balanced groups of one draw per word (the design before
        this one) 5-fold (MiniLM layer 6) to 12-fold (layer 1) in variance per sample: the
        non-linear part of the response, not the cross terms between words, is the variance
        (``benchmarks/noise_designs.py``, docs/performance.md).
        """
        seeds = self.item_seeds(stream)
        n, k = self.x.shape[1:]
        out = torch.zeros(len(items), count, n, k, dtype=self.x.dtype)
        for j, b in enumerate(items.tolist()):
            valid = self.mask[b].cpu()          # the noise is drawn on the CPU (seeded), then moved
            out[j][:, valid] = orthogonal_draws(int(seeds[b]), int(valid.sum()), k, count, self.x.dtype)
        return out.to(self.x.device)

    def sample_errors(self, log_sigma: torch.Tensor, items: torch.Tensor, eps: torch.Tensor,
                      targets: Sequence[int] | None = None, word_grads: bool = False):
        """Reconstruction error of every noise sample, ``[T', A, M]``, at ``log_sigma [T', A, n]``.

        With ``word_grads``, also ``dR_m / d log sigma_i`` for every sample and word,
        ``[T', A, M, n]``, from one backward pass: it is ``<dR_m/dx~_i, sigma_i eps_i>``.
        """
        targets = list(range(self.n_targets)) if targets is None else list(targets)
        a, m = eps.shape[:2]
        chunks = self._chunks(a, len(targets) * m)
        if len(chunks) > 1:
            parts = [self.sample_errors(log_sigma[:, c], items[c], eps[c], targets, word_grads) for c in chunks]
            if not word_grads:
                return torch.cat(parts, dim=1)
            return torch.cat([p[0] for p in parts], dim=1), torch.cat([p[1] for p in parts], dim=1)
        x = self.x[items]
        noise = log_sigma.exp()[..., None, :, None] * eps[None]                  # [T', A, M, n, K]
        noisy = (x[None, :, None] + noise).reshape(len(targets), a * m, *x.shape[1:])
        if word_grads:
            noisy = noisy.detach().requires_grad_(True)
        mask = self.mask[items].repeat_interleave(m, dim=0)
        with self._autocast():
            outputs = [out.to(self.x.dtype) for out in self.forward(noisy, mask, targets)]
        rep = lambda v: None if v is None else v[items].repeat_interleave(m, dim=0)  # noqa: E731
        errors = torch.stack([
            reconstruction_error(out, rep(self.clean[t]), rep(self.feature_std[t]),
                                 rep(self.element_mask[t])).view(a, m)
            for t, out in zip(targets, outputs)])
        self._check_finite(errors, targets, log_sigma, items, "output")
        if not word_grads:
            return errors
        (gx,) = torch.autograd.grad(errors.sum(), noisy)
        contrib = (gx.view(noise.shape) * noise.detach()).sum(-1)
        self._check_finite(contrib, targets, log_sigma, items, "gradient")
        return errors.detach(), contrib

    def name(self, target: int) -> str:
        return self.names[target] if self.names is not None else f"target {target}"

    def _check_finite(self, values: torch.Tensor, targets: Sequence[int], log_sigma: torch.Tensor,
                      items: torch.Tensor, what: str) -> None:
        """One line, naming the first target affected and its share of samples, where ``values`` ``[T', A, M, ...]``
        (each noisy sample's error, or its gradient) are not all finite."""
        bad = ~torch.isfinite(values.detach())
        if not bool(bad.any()):
            return
        per_sample = bad.reshape(*bad.shape[:3], -1).any(-1)                         # [T', A, M]
        j = int(per_sample.flatten(1).any(1).nonzero()[0])
        count, total = int(per_sample[j].sum()), per_sample[j].numel()
        top = float(log_sigma[j][self.mask[items]].detach().exp().max())
        raise WordinfoError(f"{self.name(targets[j])}: the model's {what} is NaN or Inf for {count} of {total} noisy "
                            f"samples ({count / total:.1%}; sigma up to {top:.3g}): it is not finite under noise of "
                            "this size; check the model (a half-precision overflow? try --dtype float32) or lower "
                            "the bound on sigma (--scale)")

    def reconstruction(self, log_sigma: torch.Tensor, items: torch.Tensor, eps: torch.Tensor,
                       targets: Sequence[int] | None = None) -> torch.Tensor:
        """Mean reconstruction error over the samples, ``[T', A]``, differentiable in ``log_sigma``."""
        return self.sample_errors(log_sigma, items, eps, targets).mean(-1)

    def linear_word_grads(self, log_sigma: torch.Tensor, items: torch.Tensor, eps: torch.Tensor,
                          targets: Sequence[int]) -> torch.Tensor:
        """What :meth:`sample_errors` gives as ``dR_m / d log sigma_i`` if the function were its linearisation.

        For ``phi(x + d) = s + J d`` the error of sample ``m`` is ``||J (sigma * eps_m) / sigma_S||^2 / D``
        and its derivative in ``log sigma_i`` is ``2 <J_i sigma_i eps_mi, J (sigma * eps_m)> / D / sigma_S^2``.
        It is computed as the same pass at ``LINEAR_SHRINK`` times the noise, in float32, divided
        by the shrink squared: no forward-mode autograd needed, so it works for any ``phi`` that has
        a backward pass. Relative error about ``LINEAR_SHRINK`` (curvature) plus float32 rounding
        (about 1e-4 at MiniLM's answers). ``[T', A, M, n]``.
        """
        shrink = math.log(LINEAR_SHRINK)
        linear = dataclasses.replace(self, compute_dtype=None)
        _, contrib = linear.sample_errors(log_sigma + shrink, items, eps, targets, word_grads=True)
        return contrib / LINEAR_SHRINK ** 2

    def exact_jacobian_cost(self, target: int, item: int) -> tuple[str, int]:
        """The cheaper exact way to ``||J_i||_F^2`` for one target and one item, and its cost in passes.

        'output': one vector-Jacobian product per output element (a forward and a backward
        pass each, about 3 forward passes); 'input': central differences along every input
        coordinate of the item's own words (2 forward passes each), so the choice is the item's
        whatever batch it is in.
        """
        out = 3 * int(self.clean[target][item].numel())
        inp = 2 * int(self.mask[item].sum()) * self.width
        return ("output", out) if out <= inp else ("input", inp)

    def jacobian_sq_norms(self, items: torch.Tensor, probes: int, stream: int,
                          targets: Sequence[int] | None = None, exact: str | None = None):
        """``||J_i / sigma_S||_F^2`` for every target and word, and its standard error: two ``[T', A, n]``.

        ``exact='output'``: one vector-Jacobian product per output element (a basis), so the
        norms are exact and their error 0. ``exact='input'``: central differences along every
        coordinate of every word, exact for a linear function (float rounding aside).
        Otherwise Hutchinson's estimate: ``E_v ||J^T v||^2 = ||J||_F^2`` for Rademacher ``v``,
        ``probes`` products batched as copies, the error from their spread.
        """
        targets = list(range(self.n_targets)) if targets is None else list(targets)
        if exact == "input":
            norms = torch.stack([self._jacobian_by_differences(b, targets) for b in items.tolist()], dim=1)
            return norms, torch.zeros_like(norms)
        sizes = [int(self.clean[t][0].numel()) for t in targets]
        if exact == "output":
            probes = max(sizes)
        a = len(items)
        chunks = self._chunks(a, len(targets) * probes)
        if len(chunks) > 1:
            parts = [self.jacobian_sq_norms(items[c], probes, stream, targets, exact) for c in chunks]
            return torch.cat([p[0] for p in parts], dim=1), torch.cat([p[1] for p in parts], dim=1)
        x = self.x[items]
        xs = x.repeat_interleave(probes, dim=0)[None].expand(len(targets), -1, -1, -1).clone().requires_grad_(True)
        mask = self.mask[items].repeat_interleave(probes, dim=0)
        with self._autocast():
            outputs = [out.to(self.x.dtype) for out in self.forward(xs, mask, targets)]
        gens = [torch.Generator().manual_seed(int(s)) for s in self.item_seeds(stream)[items.cpu()]]
        total = 0.0
        for t, size, out in zip(targets, sizes, outputs):
            item_shape = out.shape[1:]
            if exact == "output":      # the basis of the output, padded with zero vectors to ``probes``
                basis = torch.eye(probes, size, dtype=out.dtype).reshape(probes, *item_shape)
                v = basis.to(out.device).repeat(a, *([1] * len(item_shape)))
            else:          # Rademacher probes drawn per item, so an item's estimate does not depend on its batch
                v = torch.cat([torch.randint(0, 2, (probes, *item_shape), generator=g) for g in gens])
                v = v.to(out) * 2 - 1
            em = self.element_mask[t]
            if em is not None:
                v = v * em[items].repeat_interleave(probes, dim=0)
            total = total + (v * out / self.feature_std[t][items].repeat_interleave(probes, dim=0)).sum()
        (grad,) = torch.autograd.grad(total, xs)
        per_probe = grad.pow(2).sum(-1).view(len(targets), a, probes, -1)
        if not bool(torch.isfinite(per_probe).all()):
            j = int((~torch.isfinite(per_probe)).flatten(1).any(1).nonzero()[0])
            raise WordinfoError(f"{self.name(targets[j])}: the model's gradient at the clean input is NaN or Inf: "
                                "check the model (a half-precision overflow? try --dtype float32)")
        if exact == "output":
            return per_probe.sum(2), torch.zeros_like(per_probe[:, :, 0])
        se = per_probe.std(2) / math.sqrt(probes) if probes > 1 else torch.full_like(per_probe[:, :, 0], math.inf)
        return per_probe.mean(2), se

    @torch.no_grad()
    def _jacobian_by_differences(self, b: int, targets: list) -> torch.Tensor:
        """``||J_i / sigma_S||_F^2`` of item ``b`` by central differences along each input coordinate: ``[T', n]``."""
        n, k = self.x.shape[1:]
        valid = self.mask[b].nonzero().flatten()
        step = DIFFERENCE_STEP * self.scale
        dirs = torch.zeros(len(valid) * k, n, k, dtype=self.x.dtype, device=self.x.device)
        rows = torch.arange(len(valid) * k, device=self.x.device)
        dirs[rows, valid.repeat_interleave(k), torch.arange(k, device=self.x.device).repeat(len(valid))] = step
        norms = torch.zeros(len(targets), n, dtype=self.x.dtype, device=self.x.device)
        per_pass = max(1, self.max_tokens // (2 * len(targets) * n))
        for start in range(0, len(dirs), per_pass):
            d = dirs[start:start + per_pass]
            xs = torch.cat([self.x[b] + d, self.x[b] - d])[None].expand(len(targets), -1, -1, -1)
            mask = self.mask[b:b + 1].expand(len(xs[0]), -1)
            outs = self.forward(xs, mask, targets)
            for j, (t, out) in enumerate(zip(targets, outs)):
                diff = (out[:len(d)] - out[len(d):]) / (2 * step) / self.feature_std[t][b]
                em = self.element_mask[t]
                if em is not None:
                    diff = diff * em[b]
                sq = diff.pow(2).reshape(len(d), -1).sum(-1)                      # [directions]
                word = valid.repeat_interleave(k)[start:start + per_pass]
                norms[j].index_add_(0, word, sq)
        return norms
