"""Files on disk: every write is atomic, every JSON value plain.

One place for the rule "a reader sees all of a file or none of it": write to a temporary
name beside the target, fsync, rename over it, fsync the folder. A killed process leaves
the old file or the new one, never half of one. Used by runs, evaluations, the benchmark,
the calibration cache, reports and saved explanations.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Callable

import numpy as np


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` through ``write(tmp_path)``, fsync, then rename: readers see all of it or nothing."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """``path.write_text(text)`` (UTF-8), atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data, indent: int | None = 2, sort_keys: bool = True) -> Path:
    """``data`` as JSON (numpy values made plain, NaN and Inf as null), atomically."""
    text = json.dumps(plain(data), indent=indent, sort_keys=sort_keys)
    return write_text(path, text + "\n")


def fsync_dir(path: str | Path) -> None:
    """Make a rename inside ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def json_ready(v):
    """numpy values -> plain Python for JSON; NaN (padding) and Inf (unknown) become None."""
    arr = np.asarray(v)
    if arr.dtype.kind != "f":
        return arr.tolist()
    if arr.ndim == 0:
        return float(arr) if math.isfinite(float(arr)) else None
    return np.where(np.isfinite(arr), arr.astype(object), None).tolist()


def plain(obj):
    """Any nesting of dicts, lists, tuples, numpy and torch values -> what ``json.dumps`` takes, NaN as null."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "detach"):          # a torch tensor, without importing torch here
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, (np.ndarray, np.generic)):
        return json_ready(obj)
    return obj
