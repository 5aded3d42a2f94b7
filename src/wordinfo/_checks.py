"""Small argument checks shared by the front ends, each failing with a one-line WordinfoError."""

from __future__ import annotations

import math

import torch

from .errors import WordinfoError


def check_positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise WordinfoError(f"{name} must be a number > 0, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise WordinfoError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def check_finite(what: str, t: torch.Tensor) -> None:
    if not bool(torch.isfinite(t).all()):
        raise WordinfoError(f"{what} contains NaN or Inf: check the model's weights and inputs "
                            "(a half-precision overflow?)")
