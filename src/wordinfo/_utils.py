"""Small helpers shared by the result types."""

from __future__ import annotations

import math

import numpy as np


def json_ready(v):
    """numpy values -> plain Python for JSON; NaN (padding) and Inf (unknown) become None."""
    arr = np.asarray(v)
    if arr.dtype.kind != "f":
        return arr.tolist()
    if arr.ndim == 0:
        return float(arr) if math.isfinite(float(arr)) else None
    return np.where(np.isfinite(arr), arr.astype(object), None).tolist()
