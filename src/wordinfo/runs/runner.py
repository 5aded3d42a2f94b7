"""``wordinfo run``: explain every sentence of a corpus, part by part, resumable after any crash.

The data file is streamed; sentences are explained a part (``part_size`` sentences)
at a time and each part lands in the run directory as one Parquet file by an atomic
rename. Running the same command again skips the sentences whose part exists, so a
run killed at any moment (``kill -9`` included) loses at most the part in progress
and never writes a sentence twice. A run directory whose manifest disagrees with the
command (another model, other weights, settings, calibration sample or data) is refused; a
directory without a manifest is used only when it is empty. On resume every part is checked
against its checksum (:mod:`wordinfo.runs.integrity`): a damaged one is set aside, said so,
and its sentences explained again.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Callable

from .. import corpus
from ..errors import WordinfoError
from ..files import check_writable
from ..remote import location
from . import integrity, store
from .lease import is_lease_record
from .parts import LocalParts, pending_parts

TOKENIZE_CHUNK = 256


def run_corpus(data: str | Path, out: str | Path, model=None, layers="all", target: str = "tokens", *,
               text_col: str | None = None, label_col: str | None = None, pair_col: str | None = None,
               fmt: str = "auto", header: bool = False,
               limit: int | None = None, batch_size: int = 1, part_size: int = 64, lam: float = 0.1,
               scale: float | None = None, calibration: str | None = None, seed: int = 0, solver: str = "default",
               truncate: bool = False, progress: bool = True, workers: int | None = None, from_layer: int = 0,
               ray=None, device: str | None = None, log: Callable[[str], None] | None = None,
               record: dict | None = None, **solver_options):
    """Explain the sentences of ``data`` into the run directory ``out``; returns the :class:`Run`.

    ``model`` is anything :func:`wordinfo.job.prepare` takes ('minilm' or None for
    the bundled model, a directory). Columns: ``text_col``/``label_col`` (0-based
    numbers, or names with ``header`` / in JSONL); by default the longest column of a
    TSV is the text and, with two columns, the other one the label. ``pair_col``: the column of
    a sentence pair's second text (found by itself for sentence1/sentence2, question1/question2,
    premise/hypothesis and text_a/text_b keys or header names). ``limit`` explains
    only the first sentences (a later run may raise it and continue). ``workers`` > 1 shares
    the parts out to that many single-thread Ray actors on this machine (on a CPU, one per core is
    fastest; answers agree with one process's, so a run may be resumed with another count).
    ``ray``: True (a local Ray instance), 'auto' or a cluster address: whole parts explained by
    ``workers`` Ray actors (default: one per CPU of the cluster, or per GPU with ``device='cuda'``;
    :mod:`wordinfo.runs.cluster`); this process still writes every file.
    ``solver_options`` (``precision``, ``max_samples``...) go to the solver and into the manifest.
    ``from_layer`` A > 0: what the layers above A keep of layer A's output (the manifest's settings say so).
    ``record``: more top-level keys for a new run's manifest (a probe run's ``epoch``, :mod:`wordinfo.runs.probe`);
    they describe the run and are not among what must agree to resume it.
    """
    from .. import __version__
    from ..cluster import check_workers
    from ..job import prepare

    log = log or _stderr
    out = location(out)
    for name, v in (("batch size", batch_size), ("part size", part_size)):
        if not isinstance(v, int) or v < 1:
            raise WordinfoError(f"{name} must be a whole number >= 1, got {v!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise WordinfoError(f"--limit must be a whole number >= 1, got {limit!r}")
    _check_out(out)
    spec = corpus.open_spec(data, fmt, text_col, label_col, header, pair_col)
    log(f"data: {spec.describe()}")
    data_hash = corpus.file_hash(spec.path)

    job = prepare(model, layers=layers, target=target, lam=lam, scale=scale,
                  calibration=calibration, seed=seed, solver=solver, truncate=truncate, from_layer=from_layer,
                  device=device, **solver_options)
    if ray is not None and ray is not False:
        from ..cluster import check_ray
        check_ray(ray, job)
    else:
        workers = check_workers(1 if workers is None else workers, job)
        ray = True if workers > 1 else None        # workers on this machine: Ray actors on a local instance
    encoder = job.encoder
    count = _scan(spec, job, limit)
    total = count if limit is None else min(count, limit)
    manifest = json.loads(json.dumps({
        "format": store.FORMAT, "wordinfo_version": __version__,
        "model": {"name": encoder.name, "fingerprint": _fingerprint(encoder), "width": int(encoder.width),
                  "num_layers": getattr(encoder, "num_layers", None), "has_head": job.has_head,
                  "labels": _label_names(job)},
        "target": target, "layers": [t.label for t in job.targets], "settings": job.settings, "truncate": truncate,
        "calibration": job.calibration or {"file": "none", "hash": None},
        "data": {**spec.to_dict(), "hash": data_hash, "rows": count},
        "limit": limit, "part_size": part_size, "batch_size": batch_size, "workers": workers,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }, default=str))
    clash = sorted(set(record or {}) & set(manifest))
    if clash:
        raise WordinfoError(f"record= may not replace the manifest's own {clash[0]!r}: give it another name")
    manifest.update(json.loads(json.dumps(record or {}, default=str)))

    out.mkdir(parents=True, exist_ok=True)
    with store.Lock(out) as lock:
        old = _existing_manifest(out)
        if old is not None:
            diff = store.differences(old, manifest)
            if diff:
                raise WordinfoError(f"{out} holds a different run ({'; '.join(diff)}): resume it with its own "
                                    "command, or choose a new --out directory")
            if old.get("limit") != limit:      # a longer or shorter run of the same thing: keep going
                store.write_json(out / "manifest.json", {**old, "limit": limit})
        else:
            store.write_json(out / "manifest.json", manifest)
        store.parts_dir(out).mkdir(exist_ok=True)
        removed = store.remove_leftovers(out)
        if old is not None:
            _set_damaged_aside(out, log)
        ranges = store.done_ranges(out)
        already = sum(min(b, total - 1) - a + 1 for a, b in ranges if a < total)
        if already:
            log(f"resuming {out}: {already} of {total} sentences done"
                + (f", {removed} unfinished file(s) removed" if removed else ""))
        with _executor(job, batch_size, workers, ray, manifest, log) as executor:
            part_size = executor.part_size(part_size, total - already)
            written = _explain_parts(spec, job, out, ranges, total, already, batch_size, part_size, progress, log,
                                     executor, lock)
    from .result import Run
    run = Run(out)
    log(f"{out}: {run.done} of {run.total} sentences ({written} new), "
        f"{len(store.part_files(out))} part(s)")
    return run


@contextlib.contextmanager
def _executor(job, batch_size, workers, ray, manifest, log):
    """Who explains the parts: Ray actors (on a cluster, or ``workers`` on this machine), or this process."""
    if ray is None or ray is False:
        yield LocalParts(job, batch_size)
        return
    from .cluster import RayParts
    with RayParts(job, batch_size, ray, workers, manifest["model"]["fingerprint"], log) as parts:
        yield parts


def _set_damaged_aside(out: Path, log) -> None:
    """Check every part against its checksum; set the damaged ones aside (``RUNDIR/damaged/``), saying so, so that
    their sentences are explained again. Two sound parts holding the same sentences are refused: which to keep
    is the user's call."""
    found = integrity.verify(out)
    for (part, why), moved in zip(found.damaged, integrity.set_aside(out, found.damaged)):
        first, last = store.part_range(part)
        log(f"part {part.name} is damaged ({why}): moved to {moved.relative_to(out)}; sentences {first}-{last} "
            "are explained again")
    found.damaged = []
    found.raise_if_damaged()


def _explain_parts(spec, job, out, ranges, total, already, batch_size, part_size, progress, log, executor,
                   lock) -> int:
    """The main loop: stream the rows not yet done as parts, have ``executor`` explain them, write each.

    ``executor.map(parts, bar)`` yields ``(rows, table)`` for every part, in any order (a part's
    file name says which sentences it holds, so the order on disk does not matter): this process
    (:class:`LocalParts`), or Ray actors
    (:class:`wordinfo.runs.cluster.RayParts`). Only this process writes the run directory, and only while
    ``lock`` is its own."""
    bar = _bar(total, already, progress)
    written = 0
    try:
        with job.encoder.frozen():
            for rows, table in executor.map(pending_parts(spec, ranges, total, part_size), bar):
                lock.ensure()                   # a bucket's lease may have been taken over meanwhile
                try:
                    store.write_part(out, table, rows[0].sentence, rows[-1].sentence)
                except WordinfoError as e:      # disk full, say: what is done stays done
                    raise WordinfoError(f"{e}; the {len(store.part_files(out))} finished part(s) are kept in "
                                        f"{out}: run the same command to resume") from None
                written += len(rows)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        log(f"interrupted: the finished parts are saved in {out}; run the same command to resume")
        raise
    if bar is not None:
        bar.close()
    return written


def _scan(spec, job, limit) -> int:
    """Count the sentences and check, before any long work, that each fits the model (or is truncated)."""
    count, chunk = 0, []

    def check(rows):
        try:
            job.encoder.tokenize([r.item for r in rows], truncate=job.truncate)
        except WordinfoError:
            for r in rows:
                try:
                    job.encoder.tokenize([r.item], truncate=job.truncate)
                except WordinfoError as e:
                    raise WordinfoError(f"line {r.line} of {Path(spec.path).name}: {e}") from None
            raise

    for row in corpus.rows(spec):
        count += 1
        if limit is None or row.sentence < limit:
            chunk.append(row)
            if len(chunk) >= TOKENIZE_CHUNK:
                check(chunk)
                chunk = []
    if chunk:
        check(chunk)
    if count == 0:
        raise WordinfoError(f"{spec.path} has no sentences: give a file with one sentence per row")
    return count


def _check_out(out: Path) -> None:
    """A run directory is new, empty, or a run (its manifest says so: read when the lock is held). A folder
    holding anything else, even only a ``parts/`` folder, is not wordinfo's to write into."""
    if out.exists() and not out.is_dir():
        raise WordinfoError(f"--out {str(out)!r} is a file: give a directory for the run")
    check_writable(out, "--out", folder=True)
    if out.is_dir() and not (out / "manifest.json").exists():
        others = [p.name for p in out.iterdir() if not (p.name == ".lock" and _only_a_lock(p))]
        if others:
            raise WordinfoError(f"--out {str(out)!r} is not empty and not a wordinfo run (no manifest.json; it "
                                f"holds {others[0]!r}): choose a new or empty directory")


def _only_a_lock(lock: Path) -> bool:
    """A ``.lock`` as :class:`store.Lock` leaves it (a run killed before it wrote its manifest): a process id, or
    in an object store a lease record."""
    try:
        if not lock.is_file() or lock.stat().st_size > 256:
            return False
        text = lock.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return False
    if text == "" or text.isdigit():
        return True
    try:
        return is_lease_record(json.loads(text))
    except ValueError:
        return False


def _existing_manifest(out: Path):
    return store.read_manifest(out) if (out / "manifest.json").exists() else None


def _fingerprint(encoder):
    fp = getattr(encoder, "fingerprint", None)
    return fp() if callable(fp) else None


def _label_names(job):
    config = getattr(getattr(job.encoder, "model", None), "config", None)
    names = getattr(config, "id2label", None) if job.has_head else None
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else None


def _bar(total: int, initial: int, enabled: bool):
    """Sentences done, rate and ETA; redrawn at most every 10 s when stderr is a log file, not a terminal."""
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc="explaining", unit="sentence", smoothing=0.05,
                dynamic_ncols=True, file=sys.stderr, mininterval=0.1 if sys.stderr.isatty() else 10)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
