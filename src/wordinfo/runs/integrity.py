"""Is a run directory whole? Every part against its checksum file, the parts against each other, and what else is
there: the one place that decides whether a part can be trusted.

A part of a ``wordinfo.run/4`` directory is *sound* when its checksum file (``part-A-B.json``, written before
the part was renamed into place: :func:`wordinfo.runs.store.write_part`) is readable, names it, and matches its
bytes (SHA-256 and size) and its Parquet footer (row count); otherwise it is *damaged*, with the reason.
Parts of older runs (``/2``, ``/3``) have no checksums: they are *not verifiable*, and only checked to open as
Parquet. Two parts holding the same sentence are an overlap; files in ``parts/`` that wordinfo did not
name are listed and left alone.

``wordinfo verify`` prints :meth:`Verification.lines`; ``wordinfo run`` sets damaged parts aside
(:func:`set_aside`, into ``RUNDIR/damaged/``: nothing is deleted) and explains their sentences again;
``summary``, ``query``, ``report`` and ``Run.explanation`` refuse a run with a damaged part, naming it
(:meth:`Verification.raise_if_damaged`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WordinfoError
from ..files import fsync_dir, sha256
from ..remote import arrow_path, location, replace
from . import store

DAMAGED = "damaged"     # RUNDIR/damaged/: where a resume puts the parts that failed their check


@dataclass
class Verification:
    """What :func:`verify` found in one run directory."""
    path: Path
    format: str
    parts: list = field(default_factory=list)          # every part file, in sentence order
    damaged: list = field(default_factory=list)        # [(part, reason)]
    overlaps: list = field(default_factory=list)       # [(part, part)] holding the same sentences
    strays: list = field(default_factory=list)         # files in parts/ that wordinfo did not name
    leftovers: list = field(default_factory=list)      # what a killed writer left (the next run removes it)
    set_aside: list = field(default_factory=list)      # files in RUNDIR/damaged/
    sentences: int = 0                                 # sentences in sound parts
    total: int = 0                                     # sentences the run is meant to cover

    @property
    def verifiable(self) -> bool:
        return self.format in store.CHECKSUMMED

    @property
    def ok(self) -> bool:
        """No damaged part and no overlap (an unfinished run can be ok)."""
        return not self.damaged and not self.overlaps

    def raise_if_damaged(self) -> None:
        """A one-line WordinfoError naming the first damaged part or overlap, saying what to do."""
        if self.damaged:
            part, why = self.damaged[0]
            more = f" (and {len(self.damaged) - 1} more)" if len(self.damaged) > 1 else ""
            raise WordinfoError(f"{self.path}: part {part.name} is damaged ({why}){more}: run `wordinfo verify "
                                f"{self.path}`, then the run's own `wordinfo run` command to explain it again")
        if self.overlaps:
            a, b = self.overlaps[0]
            raise WordinfoError(f"{self.path}: parts {a.name} and {b.name} hold the same sentences (copied in "
                                f"by hand?): move one of them out of {a.parent}")

    def lines(self) -> list[str]:
        """The report of ``wordinfo verify``: a first line on the whole run, then one line per finding."""
        state = "damaged" if not self.ok else "ok" if self.verifiable else "not verifiable"
        how = "checksums match" if self.verifiable else f"written before checksums ({self.format}): parts open"
        head = (f"{self.path}: {state}, {self.sentences} of {self.total} sentences in {len(self.parts)} part(s)"
                + (f", {how}" if self.ok and self.parts else ""))
        out = [head]
        out += [f"  damaged: {p.name}: {why}" for p, why in self.damaged]
        out += [f"  overlap: {a.name} and {b.name} hold the same sentences" for a, b in self.overlaps]
        if self.ok and self.sentences < self.total:
            out.append(f"  unfinished: {self.total - self.sentences} sentence(s) left; the run's own command "
                       "goes on")
        if self.damaged:
            out.append("  the run's own `wordinfo run` command sets the damaged parts aside (in "
                       f"{self.path / DAMAGED}) and explains their sentences again")
        out += [f"  left by a killed run (the next run removes it): {p.name}" for p in self.leftovers]
        out += [f"  not wordinfo's, left alone: {p.relative_to(self.path)}" for p in self.strays]
        out += [f"  set aside earlier: {p.relative_to(self.path)}" for p in self.set_aside]
        return out


def verify(rundir: str | Path, manifest: dict | None = None) -> Verification:
    """Check every part of ``rundir`` (reading all of each: its SHA-256) and list what else is there."""
    rundir = location(rundir)
    manifest = store.read_manifest(rundir) if manifest is None else manifest
    rows, limit = manifest["data"]["rows"], manifest.get("limit")
    result = Verification(rundir, manifest["format"], total=rows if limit is None else min(rows, limit))
    result.parts = store.part_files(rundir)
    result.leftovers = store.leftovers(rundir)
    parts = store.parts_dir(rundir)
    if parts.is_dir():
        ours = set(result.parts) | {store.checksum_path(p) for p in result.parts} | set(result.leftovers)
        result.strays = sorted(p for p in parts.iterdir() if p not in ours)
    if (rundir / DAMAGED).is_dir():
        result.set_aside = sorted((rundir / DAMAGED).iterdir())
    sound = []
    for part in result.parts:
        why = check_part(part, result.verifiable)
        if why is None:
            sound.append(part)
        else:
            result.damaged.append((part, why))
    reach, reach_part = -1, None
    for part in sound:             # in sentence order: an overlap is a part that starts before an earlier one ends
        first, end = store.part_range(part)
        if first <= reach:
            result.overlaps.append((reach_part, part))
        if end > reach:
            reach, reach_part = end, part
    result.sentences = sum(min(b, result.total - 1) - a + 1 for a, b in map(store.part_range, sound)
                           if a < result.total)
    return result


def check_part(part: Path, checksummed: bool = True) -> str | None:
    """Why ``part`` cannot be trusted, or None when it is sound (see the module docstring)."""
    first, last = store.part_range(part)
    if checksummed:
        why = _against_checksum(part, first, last)
        if why is not None:
            return why
    try:
        import pyarrow.parquet as pq
        where, fs = arrow_path(part)
        meta = pq.read_metadata(where, filesystem=fs)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several error types on a damaged file
        return f"not a readable Parquet file ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
    if checksummed:
        expected = json.loads(store.checksum_path(part).read_text())["rows"]
        if meta.num_rows != expected:
            return f"{meta.num_rows} rows where its checksum file says {expected}"
    elif meta.num_rows < 1 or last < first:
        return "holds no rows"
    return None


def _against_checksum(part: Path, first: int, last: int) -> str | None:
    path = store.checksum_path(part)
    if not path.is_file():
        return f"no checksum file {path.name}: not written by this run, or its checksum file was removed"
    try:
        record = json.loads(path.read_text())
        expected, size, rows = str(record["sha256"]), int(record["bytes"]), int(record["rows"])
        named = (record["part"], int(record["first"]), int(record["last"]))
    except (OSError, ValueError, KeyError, TypeError):
        return f"its checksum file {path.name} is unreadable"
    if named != (part.name, first, last) or rows < 1:
        return f"its checksum file {path.name} describes another part"
    actual = part.stat().st_size
    if actual != size:
        return f"{actual} bytes where its checksum file says {size}: cut short or overwritten"
    if sha256(part) != expected:
        return "its SHA-256 does not match its checksum file: the file was changed or damaged"
    return None


def set_aside(rundir: Path, damaged: list) -> list[Path]:
    """Move damaged parts (and their checksum files) into ``RUNDIR/damaged/``, so that a resume explains their
    sentences again and nothing is lost; returns where each part went."""
    if not damaged:
        return []
    folder = location(rundir) / DAMAGED
    folder.mkdir(exist_ok=True)
    moved = []
    for part, _ in damaged:
        for f in (part, store.checksum_path(part)):
            if f.exists():
                target = folder / f.name
                n = 1
                while target.exists():              # an earlier damaged copy of the same part stays too
                    n += 1
                    target = folder / f"{f.stem}.{n}{f.suffix}"
                replace(f, target)
                if f == part:
                    moved.append(target)
    fsync_dir(folder)
    fsync_dir(store.parts_dir(rundir))
    return moved
