"""What a solver is given: a function with one or more targets, and the inputs to explain.

A *target* is one hidden state to explain (a layer's token states, the [CLS]
state, the logits...). Several targets of one model are explained in one pass:
``forward`` receives one noisy copy of the input per target and returns each
target's output, so an adapter can let copy ``t`` leave a stack of layers where
target ``t`` lives. The solvers only ever see this interface.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from .objective import reconstruction_error

MAX_GROUP = 16


def group_size(n_words: int) -> int:
    """Samples in one sign-balanced noise group: the power of two above ``n_words``, at most 16.

    Longer sentences reuse the 15 sign columns cyclically, so only words 15 apart share
    signs: cost per group stays flat with length, and the cross terms that remain are
    between distant words.
    """
    return min(1 << max(1, n_words).bit_length(), MAX_GROUP)


def hadamard(size: int) -> torch.Tensor:
    """Sylvester's ``size x size`` matrix of +-1 with orthogonal columns (size a power of two)."""
    h = torch.ones(1, 1)
    while h.shape[0] < size:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)])
    return h


def orthogonal_draws(seed: int, words: int, width: int, count: int, dtype=torch.float32) -> torch.Tensor:
    """``count`` draws per word, ``[count, words, width]``: orthogonal directions of length ``sqrt(width)``.

    Directions come ``width`` at a time from a random orthonormal frame per word; the first
    ``r`` draws do not depend on ``count``, so asking for more extends the same set.
    """
    out = torch.empty(count, words, width, dtype=dtype)
    for frame_start in range(0, count, width):
        size = min(width, count - frame_start)
        g = torch.Generator().manual_seed((seed + 7919 * (frame_start // width + 1)) % (2**63))
        gauss = torch.randn(words, width, width, generator=g, dtype=torch.float64)[..., :size]
        q, r = torch.linalg.qr(gauss)                                   # [words, width, size]
        q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]   # unique: diag(R) > 0
        out[frame_start:frame_start + size] = (q.permute(2, 0, 1) * width ** 0.5).to(dtype)
    return out


def compute_dtype(name: str, device: torch.device | str = "cpu") -> torch.dtype | None:
    """The dtype of the noisy passes for ``name``: 'float32' (None: no autocast), 'bfloat16', or
    'auto' = bfloat16 where the hardware runs it fast (CUDA; CPUs with AVX512-BF16 or AMX), else float32.
    """
    from .errors import WordinfoError
    name = str(name).lower()
    if name in ("float32", "fp32"):
        return None
    if name in ("bfloat16", "bf16"):
        return torch.bfloat16
    if name != "auto":
        raise WordinfoError(f"unknown dtype {name!r}: use auto, float32 or bfloat16")
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    fast_bf16 = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return torch.bfloat16 if device.type == "cpu" and fast_bf16 else None


def resolve_device(name: str | torch.device | None) -> torch.device | None:
    """Where to explain: None keeps the model where it is, 'auto' is the GPU when there is one."""
    from .errors import WordinfoError
    if name is None or isinstance(name, torch.device):
        return name
    if str(name).lower() == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise WordinfoError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise WordinfoError(f"device {name!r} asked for but this PyTorch sees no GPU: use --device cpu")
    return device


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
    max_tokens: int = 16384     # token positions per forward pass; bounds memory, not results
    compute_dtype: torch.dtype | None = None   # run noisy passes under autocast to this dtype (e.g. bfloat16)

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

    def noise(self, items: torch.Tensor, groups: int, stream: int) -> torch.Tensor:
        """Noise ``[A, groups * P, n, K]`` for the objective's expectation, zero on padding.

        Two designs remove most of the Monte Carlo error without biasing the objective
        of a linear function (where only the covariance, ``I``, matters):

        * a *group* repeats one draw ``z`` over ``P`` samples with the signs of one column
          of a Hadamard matrix per word (``P`` a power of two above the sentence length,
          at most 16), so the cross terms ``<J_i eps_i, J_j eps_j>`` between words cancel
          exactly (in sentences over 15 words, all but those of words 15 apart);
        * across groups, each word's draws are orthogonal directions of length ``sqrt(K)``
          (the Gaussian's typical norm), so ``K`` groups would give ``||J_i||_F^2`` exactly.

        Every sample has mean 0 and covariance ``I``; the draws are seeded by item and
        group alone, so a sentence gets the same noise alone or in any batch.
        """
        seeds = self.item_seeds(stream)
        n, k = self.x.shape[1:]
        p = group_size(int(self.mask[items].sum(-1).max()))
        out = torch.zeros(len(items), groups, p, n, k, dtype=self.x.dtype)
        for j, b in enumerate(items.tolist()):
            valid = self.mask[b].cpu()          # the noise is drawn on the CPU (seeded), then moved
            nv = int(valid.sum())
            own = group_size(nv)
            # a shorter sentence repeats its own group to fill the batch's group size, so its
            # noise (and answer) is the same alone or beside longer sentences
            columns = 1 + torch.arange(nv) % (own - 1)                                      # never column 0
            signs = hadamard(own)[:, columns].to(self.x.dtype).repeat(p // own, 1)          # [P, nv]
            z = orthogonal_draws(int(seeds[b]), nv, k, groups, self.x.dtype)               # [groups, nv, K]
            out[j][:, :, valid] = signs[None, :, :, None] * z[:, None]
        return out.reshape(len(items), groups * p, n, k).to(self.x.device)

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
        if not word_grads:
            return errors
        (gx,) = torch.autograd.grad(errors.sum(), noisy)
        contrib = (gx.view(noise.shape) * noise.detach()).sum(-1)
        return errors.detach(), contrib

    def reconstruction(self, log_sigma: torch.Tensor, items: torch.Tensor, eps: torch.Tensor,
                       targets: Sequence[int] | None = None) -> torch.Tensor:
        """Mean reconstruction error over the samples, ``[T', A]``, differentiable in ``log_sigma``."""
        return self.sample_errors(log_sigma, items, eps, targets).mean(-1)

    def jacobian_sq_norms(self, items: torch.Tensor, probes: int, stream: int) -> torch.Tensor:
        """Hutchinson estimate of ``||J_i / sigma_S||_F^2`` for every target and word: ``[T, A, n]``.

        ``E_v ||J^T v||^2 = ||J||_F^2`` for Rademacher ``v``, so ``probes`` vector-Jacobian
        products (batched as copies) give every word's block at once.
        """
        t_all = list(range(self.n_targets))
        a = len(items)
        chunks = self._chunks(a, len(t_all) * probes)
        if len(chunks) > 1:
            return torch.cat([self.jacobian_sq_norms(items[c], probes, stream) for c in chunks], dim=1)
        x = self.x[items]
        xs = x.repeat_interleave(probes, dim=0)[None].expand(len(t_all), -1, -1, -1).clone().requires_grad_(True)
        mask = self.mask[items].repeat_interleave(probes, dim=0)
        with self._autocast():
            outputs = [out.to(self.x.dtype) for out in self.forward(xs, mask, t_all)]
        gens = [torch.Generator().manual_seed(int(s)) for s in self.item_seeds(stream)[items.cpu()]]
        total = 0.0
        for t, out in zip(t_all, outputs):
            # Rademacher probes drawn per item, so an item's estimate does not depend on its batch.
            v = torch.cat([torch.randint(0, 2, (probes, *out.shape[1:]), generator=g) for g in gens])
            v = v.to(out) * 2 - 1
            em = self.element_mask[t]
            if em is not None:
                v = v * em[items].repeat_interleave(probes, dim=0)
            total = total + (v * out / self.feature_std[t][items].repeat_interleave(probes, dim=0)).sum()
        (grad,) = torch.autograd.grad(total, xs)
        return grad.pow(2).sum(-1).view(len(t_all), a, probes, -1).mean(2)
