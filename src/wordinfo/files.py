"""Files on disk: every write is atomic, every JSON value plain.

One place for the rule "a reader sees all of a file or none of it": write to a temporary
name beside the target (:func:`temporary_name`: ``.NAME.PID.tmp``, the only name wordinfo ever
deletes as a leftover), fsync, rename over it, fsync the folder. A killed process leaves
the old file or the new one, never half of one. Used by runs, evaluations, the benchmark,
the calibration cache, reports and saved explanations. A write the system refuses (disk full,
no permission) is one line naming the file. :func:`check_writable` is the one check, made before
long work, that an output path can be written at all. A :class:`~wordinfo.remote.RemotePath` (a run directory in
a bucket) is written in one upload instead of a rename: the same guarantee, the object store's way.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import WordinfoError
from .remote import RemotePath

TEMPORARY = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.tmp$")     # what temporary_name makes, and only that


def temporary_name(path: Path) -> Path:
    """Where :func:`write_atomic` writes ``path`` before the rename: ``.NAME.PID.tmp`` beside it."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def temporary_target(name: str) -> str | None:
    """The file name a temporary file of :func:`write_atomic` was going to become, or None for any other name."""
    m = TEMPORARY.match(name)
    return m.group("target") if m else None


def write_atomic(path: str | Path, write: Callable[[Path], object],
                 before_rename: Callable[[Path], object] | None = None) -> Path:
    """Write ``path`` through ``write(tmp_path)``, fsync, then rename: readers see all of it or nothing.

    ``before_rename(tmp_path)`` runs on the finished, fsynced file just before the rename (a run writes
    a part's checksum there). An ``OSError`` (disk full, no permission) becomes a one-line WordinfoError
    naming ``path``; what was there before is left as it was."""
    if isinstance(path, RemotePath):
        return path.write_via(write, before_rename)
    path = Path(path)
    tmp = temporary_name(path)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise WordinfoError(f"cannot write {path} ({e.strerror or e}): free some space or choose another "
                            "place") from e
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    return path


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with (path if isinstance(path, RemotePath) else Path(path)).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_writable(path: str | Path, what: str, folder: bool = False, fix: str = "choose another path") -> Path:
    """Fail now, before any long work, when ``path`` (a file, or a ``folder``) cannot be written: it is a folder
    where a file is wanted (or the reverse), a file stands where a folder would be made, or the nearest
    existing folder above it is not writable. Creates nothing."""
    if isinstance(path, RemotePath):
        path.check_writable(what, folder, fix)
        return path
    path = Path(path)
    def fail(why: str):
        raise WordinfoError(f"{what} {str(path)!r} cannot be written: {why}; {fix}")
    if folder and path.exists() and not path.is_dir():
        fail("it is a file, not a folder")
    if not folder and path.is_dir():
        fail("it is a folder")
    above = path if folder else path.parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        fail(f"{str(above)!r} is a file, not a folder")
    if not os.access(above, os.W_OK | os.X_OK):
        fail(f"{str(above)!r} is not writable")
    if not folder and path.exists() and not os.access(path, os.W_OK):
        fail("the file is read-only")
    return path


def write_text(path: str | Path, text: str) -> Path:
    """``path.write_text(text)`` (UTF-8), atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data, indent: int | None = 2, sort_keys: bool = True) -> Path:
    """``data`` as JSON (numpy values made plain, NaN and Inf as null), atomically."""
    text = json.dumps(plain(data), indent=indent, sort_keys=sort_keys)
    return write_text(path, text + "\n")


def fsync_dir(path: str | Path) -> None:
    """Make a rename inside ``path`` durable (a no-op where directories cannot be opened, and in object stores)."""
    if isinstance(path, RemotePath):
        return
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


def read_json(path: str | Path, what: str, fix: str):
    """The JSON value in ``path`` (UTF-8, a byte-order mark allowed), or one line naming ``what`` is wrong and
    ``fix``: not found, not a file, not UTF-8, not JSON."""
    path = path if isinstance(path, RemotePath) else Path(path)
    if not path.is_file():
        raise WordinfoError(f"{what} {str(path)!r} not found{' (it is a folder)' if path.is_dir() else ''}: {fix}")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise WordinfoError(f"{what} {str(path)!r} is not UTF-8 text: {fix}") from None
    except json.JSONDecodeError as e:
        raise WordinfoError(f"{what} {str(path)!r} is not valid JSON ({e.msg}, line {e.lineno}): {fix}") from None
    except OSError as e:
        raise WordinfoError(f"cannot read {what} {str(path)!r} ({e.strerror or e}): {fix}") from None


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
