"""The noise: standard Gaussian draws per word, stratified in direction, seeded so that they can be drawn again.

Why stratified and why exactly ``N(0, I)``: docs/method.md, "The default solver", and
``benchmarks/noise_designs.py`` for the variance each design leaves.
"""

from __future__ import annotations

import torch


def orthogonal_draws(seed: int, words: int, width: int, count: int, dtype=torch.float32) -> torch.Tensor:
    """``count`` standard Gaussian draws per word, ``[count, words, width]``, stratified in direction.

    Each word's draws take their directions ``width`` at a time from a random orthonormal
    frame (so a linear function's squared response is sampled without replacement, and
    ``width`` draws of a frame give its exact mean), and their lengths from the chi
    distribution with ``width`` degrees of freedom: every draw is exactly ``N(0, I)``, so
    the objective is unbiased for any function, linear or not. The first ``r`` draws do
    not depend on ``count``, so asking for more extends the same set.
    """
    out = torch.empty(count, words, width, dtype=dtype)
    for frame_start in range(0, count, width):
        size = min(width, count - frame_start)
        g = torch.Generator().manual_seed((seed + 7919 * (frame_start // width + 1)) % (2**63))
        gauss = torch.randn(words, width, width, generator=g, dtype=torch.float64)[..., :size]
        q, r = torch.linalg.qr(gauss)                                   # [words, width, size]
        q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]   # unique: diag(R) > 0
        # the column norms of a Gaussian matrix are chi(width) and independent of its Q (they are R's)
        radius = gauss.norm(dim=1).T                                     # [size, words]
        out[frame_start:frame_start + size] = (q.permute(2, 0, 1) * radius[..., None]).to(dtype)
    return out
