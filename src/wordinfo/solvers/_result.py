"""What every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class SolverResult:
    log_sigma: torch.Tensor      # [T, B, n]
    steps: torch.Tensor          # [T, B] optimiser steps taken
    evaluations: torch.Tensor    # [T, B] noisy inputs pushed through the function (samples x steps)
    converged: torch.Tensor      # [T, B] bool
    loss: torch.Tensor           # [T, B] final objective
    sampling_error: torch.Tensor | None = None   # [T, B] relative standard error of sigma (max over words)
    log_sigma_se: torch.Tensor | None = None     # [T, B, n] standard error of each word's log sigma (0 on padding)
    samples: torch.Tensor | None = None          # [T, B] noise samples of the final estimate
    info: dict = field(default_factory=dict)

    def cpu(self) -> "SolverResult":
        """The same result with every tensor on the CPU (solvers work wherever the inputs are)."""
        moved = {k: v.cpu() if isinstance(v, torch.Tensor) else v for k, v in vars(self).items()}
        return SolverResult(**moved)

    def sigma(self, scale: float) -> torch.Tensor:
        """``exp(log_sigma)``, never above the bound (float rounding of ``exp(log(scale))`` aside)."""
        return self.log_sigma.exp().clamp(max=scale)
