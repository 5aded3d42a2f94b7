"""A run directory on disk: its manifest, its Parquet parts and their checksums, and the lock that keeps one writer.

Layout::

    RUNDIR/manifest.json               what was run: model + weights hash, settings, calibration sample's hash,
                                       data file + hash; ``format`` says it is a wordinfo run
    RUNDIR/parts/part-A-B.parquet      all rows of sentences A..B (inclusive), complete or absent
    RUNDIR/parts/part-A-B.json         its SHA-256, size, row and sentence counts (written before the part)
    RUNDIR/damaged/                    parts that failed their check, set aside (never deleted) by a resume
    RUNDIR/.lock                       held (flock) by the process writing the run

RUNDIR is a local folder or a URI of any filesystem pyarrow knows (``s3://bucket/run``,
``gs://...``: :mod:`wordinfo.remote`), for a driver whose results must outlive its machine.

Every file appears by an atomic rename of a finished, fsynced temporary file, so a
process killed at any instant (``kill -9`` included) leaves only whole parts plus,
at worst, a temporary file of :func:`wordinfo.files.temporary_name`'s pattern, which the next
run deletes; nothing else in a run directory is ever deleted or overwritten by anything but
its own part. A part's checksum file is written before the part is renamed into place, so
every part of a /4 run has one; :mod:`wordinfo.runs.integrity` checks them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from ..errors import WordinfoError
from ..files import sha256, temporary_target, write_atomic, write_json  # noqa: F401  (write_json: the manifest)
from ..remote import RemotePath, location
from .lease import Lease

FORMAT = "wordinfo.run/4"   # /2: standard errors (log_sigma_se, sigma_se, bits_se, word_bits_se); /3: pair,
#                              segment and from_layer columns; /4: a checksum file per part, the calibration
#                              sample's hash in the manifest
READABLE = ("wordinfo.run/2", "wordinfo.run/3", FORMAT)   # what summary, query and report read
CHECKSUMMED = (FORMAT,)          # formats whose parts carry checksums (older runs are readable, not verifiable)
PART = re.compile(r"^part-(\d{9})-(\d{9})\.parquet$")
CHECKSUM = re.compile(r"^part-(\d{9})-(\d{9})\.json$")
# manifest fields that must agree for a run to be resumed into the same directory
KEYS = ("format", "wordinfo_version", "model.name", "model.fingerprint", "target", "layers", "settings",
        "calibration.hash", "truncate", "data.hash", "data.format", "data.text", "data.pair", "data.label",
        "data.header")


def schema():
    """The columns of every part: one row per (sentence, layer, token)."""
    import pyarrow as pa
    return pa.schema([
        ("sentence", pa.int64()), ("line", pa.int64()), ("text", pa.string()),
        ("pair", pa.string()),          # a sentence pair's second text (null for a single text)
        ("label", pa.string()), ("prediction", pa.int64()),
        ("from_layer", pa.int32()),     # the layer whose output was perturbed (0: the input)
        ("layer", pa.int32()), ("layer_label", pa.string()),
        ("position", pa.int32()), ("token", pa.string()), ("word_index", pa.int32()), ("word", pa.string()),
        ("segment", pa.int32()),        # the text of a pair the word belongs to (0 or 1; 0 for a single text)
        ("special", pa.bool_()), ("sigma", pa.float64()), ("bits", pa.float64()), ("retained_bits", pa.float64()),
        ("word_bits", pa.float64()), ("word_retained_bits", pa.float64()), ("steps", pa.int32()),
        ("converged", pa.bool_()),
        # standard errors: of log sigma (the relative error of sigma), of sigma, of bits (entropy and kept
        # alike) and of the word's bits; NaN for the paper solver
        ("log_sigma_se", pa.float64()), ("sigma_se", pa.float64()), ("bits_se", pa.float64()),
        ("word_bits_se", pa.float64()),
    ])


def rows_from_explanation(exp, sentences=None, lines=None, labels=None, predictions=None):
    """An Explanation as a table of the run schema (values from the Explanation's own conversions)."""
    import pyarrow as pa
    n = len(exp)
    sentences = list(range(n)) if sentences is None else list(sentences)
    lines = [None] * n if lines is None else list(lines)
    labels = [None] * n if labels is None else list(labels)
    predictions = [None] * n if predictions is None else list(predictions)
    df = exp.to_dataframe()
    extra = {k: [] for k in ("word_bits", "word_retained_bits", "steps", "converged", "log_sigma_se", "word_bits_se")}
    per_sentence = {k: [] for k in ("sentence", "line", "text", "pair", "label", "prediction")}
    for i, wm in enumerate(exp.word_maps):
        wbits, wkept = exp.word_values("bits", i), exp.word_values("retained_bits", i)
        tw = np.asarray(wm.token_word)
        count = len(exp.layers) * len(wm.tokens)
        extra["word_bits"].append(wbits[:, tw].ravel())
        extra["word_retained_bits"].append(wkept[:, tw].ravel())
        extra["log_sigma_se"].append(exp.token_errors("log_sigma_centered", i).ravel())
        extra["word_bits_se"].append(exp.word_errors("bits", i)[:, tw].ravel())
        steps = exp.steps[i] if exp.steps else np.zeros(len(exp.layers))
        conv = exp.converged[i] if exp.converged else np.zeros(len(exp.layers), bool)
        extra["steps"].append(np.repeat(np.asarray(steps, dtype=np.int64), len(wm.tokens)))
        extra["converged"].append(np.repeat(np.asarray(conv, dtype=bool), len(wm.tokens)))
        for key, value in (("sentence", sentences[i]), ("line", lines[i]), ("text", exp.texts[i]),
                           ("pair", exp.pair(i)), ("label", labels[i]), ("prediction", predictions[i])):
            per_sentence[key].extend([value] * count)
    layer_label = df["layer"].astype(str).tolist()
    columns = {
        **per_sentence, "from_layer": [exp.from_layer] * len(layer_label),
        "layer": [int(v) if v.isdigit() else None for v in layer_label], "layer_label": layer_label,
        "position": df["position"].tolist(), "token": df["token"].tolist(), "word_index": df["word_index"].tolist(),
        "word": df["word"].tolist(), "segment": df["segment"].tolist(), "special": df["special"].astype(bool).tolist(),
        "sigma": df["sigma"].to_numpy(float), "bits": df["bits"].to_numpy(float),
        "retained_bits": df["retained_bits"].to_numpy(float),
        "sigma_se": df["sigma_se"].to_numpy(float), "bits_se": df["bits_se"].to_numpy(float),
        **{k: np.concatenate(v) if v else np.array([]) for k, v in extra.items()},
    }
    return pa.table(columns, schema=schema())


# ---------------------------------------------------------------- files

def write_part(rundir: Path, table, first: int, last: int) -> Path:
    """Sentences ``first..last`` as one part: its checksum file first, then the part by an atomic rename."""
    import pyarrow.parquet as pq
    path = parts_dir(rundir) / f"part-{first:09d}-{last:09d}.parquet"

    def checksum(tmp: Path) -> None:
        sentences = len(set(table.column("sentence").to_pylist()))
        write_json(checksum_path(path), {"part": path.name, "sha256": sha256(tmp), "bytes": tmp.stat().st_size,
                                         "rows": table.num_rows, "sentences": sentences, "first": first,
                                         "last": last})

    write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"), before_rename=checksum)
    return path


def checksum_path(part: Path) -> Path:
    """``part-A-B.json`` beside ``part-A-B.parquet``: what the part's bytes and rows must be."""
    return part.with_suffix(".json")


def parts_dir(rundir: Path) -> Path:
    return location(rundir) / "parts"


def part_files(rundir: Path) -> list[Path]:
    """Finished parts in sentence order (temporary files are never listed)."""
    d = parts_dir(rundir)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if PART.match(p.name))


def part_range(part: Path) -> tuple[int, int]:
    """The inclusive sentence range a part's name says it holds."""
    m = PART.match(location(part).name)
    return int(m.group(1)), int(m.group(2))


def done_ranges(rundir: Path) -> list[tuple[int, int]]:
    """The inclusive sentence ranges already written, read from the part names."""
    return [part_range(p) for p in part_files(rundir)]


def leftovers(rundir: Path) -> list[Path]:
    """What a killed writer of this run can leave: temporary files of :func:`wordinfo.files.write_atomic` whose
    target is a part, a checksum file or the manifest, and checksum files whose part never arrived. Nothing
    else (a user's ``notes.tmp``, a folder) is ever one."""
    d, rundir = parts_dir(rundir), location(rundir)
    found = [p for p in rundir.iterdir() if p.is_file() and temporary_target(p.name) == "manifest.json"] \
        if rundir.is_dir() else []
    if d.is_dir():
        for p in d.iterdir():
            target = temporary_target(p.name)
            if p.is_file() and target is not None and (PART.match(target) or CHECKSUM.match(target)):
                found.append(p)
            elif p.is_file() and CHECKSUM.match(p.name) and not p.with_suffix(".parquet").exists():
                found.append(p)
    return sorted(found)


def remove_leftovers(rundir: Path) -> int:
    """Delete :func:`leftovers` (under the run's lock: no writer is alive); returns how many."""
    stale = leftovers(rundir)
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


# ---------------------------------------------------------------- manifest

def read_manifest(rundir: Path) -> dict:
    """The manifest of a run directory, checked field by field: a directory is a run only if its manifest
    says so, and a manifest edited by hand into something the readers cannot use is one line naming the field."""
    path = location(rundir) / "manifest.json"
    if not path.is_file():
        raise WordinfoError(f"{str(rundir)!r} is not a wordinfo run (no manifest.json): "
                            "give a directory written by `wordinfo run`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise WordinfoError(f"{path} is not UTF-8 text: restore it or start a new run directory") from None
    except json.JSONDecodeError as e:
        raise WordinfoError(f"{path} is not valid JSON ({e.msg}): restore it or start a new run directory") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE:
        raise WordinfoError(f"{path} is not a {FORMAT} manifest: give a directory written by `wordinfo run`")
    problem = _malformed(manifest)
    if problem:
        raise WordinfoError(f"{path}: {problem} (edited by hand?): restore the manifest, or start a new run "
                            "directory")
    return manifest


# what every reader of a manifest relies on: field -> (test, what it must be)
_FIELDS = {
    "model.name": (lambda v: isinstance(v, str) and v, "a model name"),
    "model.width": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a whole number >= 1"),
    "target": (lambda v: isinstance(v, str) and v, "a target name"),
    "layers": (lambda v: isinstance(v, list) and v and all(isinstance(x, str) for x in v), "a list of layer labels"),
    "settings": (lambda v: isinstance(v, dict), "an object"),
    "settings.scale": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < float("inf"),
                       "a number > 0"),
    "data.rows": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a whole number >= 1"),
    "limit": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
              "null or a whole number >= 1"),
}


def _malformed(manifest: dict) -> str | None:
    for key, (ok, what) in _FIELDS.items():
        value = _get(manifest, key)
        if not ok(value):
            return f"{key!r} is missing" if value is None else f"{key!r} must be {what}, got {_short(value)}"
    return None


def differences(old: dict, new: dict) -> list[str]:
    """The manifest fields (of KEYS) on which two runs disagree, as 'field: old -> new'."""
    if old.get("format") != new.get("format"):
        return [f"it was written by an older wordinfo (format {old.get('format')}, this one writes {FORMAT}), "
                "which summary, query and report still read"]
    out = []
    same_weights = _get(old, "model.fingerprint") is not None and _get(old, "model.fingerprint") == _get(
        new, "model.fingerprint")
    for key in KEYS:
        if key == "model.name" and same_weights:      # the same weights, loaded from another path: fine
            continue
        a, b = _get(old, key), _get(new, key)
        if key == "settings" and isinstance(a, dict) and isinstance(b, dict):
            out += [f"settings.{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
                    if a.get(k) != b.get(k)]
        elif a != b:
            out.append(f"{key}: {_short(a)} -> {_short(b)}")
    return out


def _get(d: dict, dotted: str):
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


class Lock:
    """An exclusive flock on RUNDIR/.lock: two processes never write one run (released even on kill -9). In an
    object store, where there is no flock, a :class:`~wordinfo.runs.lease.Lease` on the same name."""

    def __init__(self, rundir: Path):
        self.path = location(rundir) / ".lock"
        self.fd = None
        self.lease = Lease(self.path) if isinstance(self.path, RemotePath) else None

    def __enter__(self):
        if self.lease is not None:
            self.lease.__enter__()
            return self
        import fcntl
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            raise WordinfoError(f"another wordinfo run is writing to {str(self.path.parent)!r}: "
                                "wait for it to finish or stop it first") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())
        return self

    def ensure(self) -> None:
        """Still this run's to write (before each part): always under flock; a lease may have been taken over."""
        if self.lease is not None:
            self.lease.ensure()

    def __exit__(self, *exc):
        if self.lease is not None:
            self.lease.__exit__(*exc)
            return
        import fcntl
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
