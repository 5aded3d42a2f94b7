"""Probe runs: a fixed set of sentences explained with a model as it is during its training, one run per epoch.

``OUT/epoch-0`` is the model before training, ``OUT/epoch-K`` the model after epoch K. Each
is a normal run written by :func:`~wordinfo.runs.runner.run_corpus` (manifest, Parquet parts,
resumable, read by ``summary``/``query``/``report``); its manifest adds ``epoch`` and
``probe`` (the series' name, the epoch, and the identity of the training and probe set, so
that a folder holding another training's probe runs is refused before any work). The one
place for that rule: ``wordinfo train --probe`` (:mod:`wordinfo.training.train`) and the
Hugging Face callback (:mod:`wordinfo.integrations.trainer`) both use :class:`Probe`.

Explaining must not disturb the training it watches: :func:`undisturbed` restores every
random generator (Python, NumPy, torch on the CPU and CUDA), each module's train/eval flag,
the gradient mode and the weights' ``requires_grad``; the weights get no gradient while
explaining (the encoder's ``frozen``), and the model stays on its device. A wordinfo error
while explaining a later epoch is logged and recorded, and training goes on; the checks that
can fail (the probe file, the output folder, each sentence against the model) come first.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import inspect
import json
import re
import time
from pathlib import Path
from typing import Callable

from .. import corpus
from ..errors import WordinfoError
from ..files import write_text

EPOCH_DIR = re.compile(r"^epoch-(\d+)$")
SENTENCES_FILE = "probe.txt"          # the probe set, when it was given as a list of sentences
PROBE_BATCH = 8                       # sentences explained together (the answers do not depend on it)
# what a probe passes on to run_corpus; the rest of run_corpus's arguments it sets itself
RUN_OPTIONS = {"target", "lam", "scale", "calibration", "seed", "truncate", "from_layer", "batch_size", "part_size"}


def epoch_dir(out: str | Path, epoch: int) -> Path:
    return Path(out) / f"epoch-{int(epoch)}"


@contextlib.contextmanager
def undisturbed(model):
    """Whatever runs inside leaves the training as it was: random generators, train/eval flags, grad mode,
    ``requires_grad``."""
    import random

    import numpy as np
    import torch

    py, npy, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    grad = torch.is_grad_enabled()
    try:
        yield model
    finally:
        random.setstate(py)
        np.random.set_state(npy)
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        for m, training in modes:
            m.training = training            # each module's own flag (model.train() would set all alike)
        for p, flag in flags:
            p.requires_grad_(flag)
        torch.set_grad_enabled(grad)


class Probe:
    """A probe set and the folder its per-epoch runs go to.

    ``sentences``: a file the corpus reader takes (one sentence a line, a TSV or JSONL) or a list of
    sentences (written to ``OUT/probe.txt``). ``name`` labels the series (``sst2-lstm``; each run's
    model is ``NAME epoch K``). ``training``: what identifies the training (a dict), checked against
    the runs already in ``out``. ``options`` go to :func:`run_corpus` (``target``, ``lam``, ``seed``,
    ``calibration``, ``truncate``...) and to the solver (``precision``...).
    """

    def __init__(self, sentences, out: str | Path, *, name: str = "model", layers="all", solver: str = "default",
                 training: dict | None = None, log: Callable[[str], None] | None = None, progress: bool = False,
                 warn: Callable[[str], None] | None = None, **options):
        from ..solvers.registry import check_solver
        from .runner import run_corpus

        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise WordinfoError(f"the probe folder {str(self.out)!r} is a file: give a directory")
        runner_args = set(inspect.signature(run_corpus).parameters) - {"solver_options"}
        for key in sorted(set(options) & runner_args - RUN_OPTIONS):
            raise WordinfoError(f"a probe sets {key!r} itself: drop it from the probe's options "
                                f"(those it takes: {', '.join(sorted(RUN_OPTIONS))}, and the solver's)")
        check_solver(solver, {k: v for k, v in options.items() if k not in runner_args})
        self.name, self.layers, self.solver, self.options = str(name), layers, solver, dict(options)
        self.log, self.progress = log or (lambda message: None), progress
        self.warn = warn or self.log
        self.texts, self.source = _read_probe(sentences)
        self.identity = None
        self.tokenizer = self.calibration = None
        self.epochs: list[int] = []
        self.failed: dict[int, str] = {}
        self.wall = self.cpu = 0.0
        if training is not None:
            self.claim(training)

    # ---- before the first epoch
    def claim(self, training: dict, name: str | None = None) -> None:
        """Settle what identifies this training and probe set (and the series' ``name``, when only the model tells
        it), and check that ``out`` holds nothing else."""
        self.name = str(name) if name is not None else self.name
        texts = json.dumps([t if isinstance(t, str) else list(t) for t in self.texts])
        self.identity = json.loads(json.dumps({
            "name": self.name, "training": training, "layers": str(self.layers), "solver": self.solver,
            "options": {k: self.options[k] for k in sorted(self.options)},
            "sentences": "blake2b:" + hashlib.blake2b(texts.encode(), digest_size=16).hexdigest()}, default=str))
        if self.out.is_dir():
            for child in sorted(self.out.iterdir()):
                self._check_existing(child)

    def begin(self, model, tokenizer, calibration: list[str] | str | None = None) -> None:
        """Check every sentence against the model (length, vocabulary) before the first epoch's work, and write
        the probe's own files. ``calibration``: sentences (or a file) for sigma_S when the bundled English sample
        does not fit the model (the reverse task's digits)."""
        from ..models.resolve import encoder_for
        if self.identity is None:
            raise WordinfoError("Probe.claim(training) comes before Probe.begin: it checks the output folder")
        if not getattr(tokenizer, "is_fast", False):
            raise WordinfoError("the probe needs the model's fast tokenizer (word pieces map to words only with "
                                "one): pass the tokenizer the model was trained with, loaded with use_fast=True")
        self.tokenizer = copy.deepcopy(tokenizer)   # an adapter may set its padding side: never the trainer's own
        with undisturbed(model):
            encoder = encoder_for(model, self.tokenizer, self.name)
            if not self.options.get("truncate"):
                for line, item in zip(self.source.lines, self.texts):
                    self._check_sentence(encoder, line, item)
        self.out.mkdir(parents=True, exist_ok=True)
        if self.source.written is not None:
            write_text(self.out / SENTENCES_FILE, self.source.written)
            self.source.path = self.out / SENTENCES_FILE
        if isinstance(calibration, (list, tuple)):
            write_text(self.out / "calibration.txt", "\n".join(calibration) + "\n")
            calibration = str(self.out / "calibration.txt")
        self.calibration = calibration

    # ---- at each epoch
    def explain(self, epoch: int, model, **record):
        """Explain the probe set with ``model`` as it is now into ``OUT/epoch-K``; the :class:`Run` (None when a
        later epoch failed: logged, recorded, and the training goes on). ``record``: more keys for the manifest's
        ``probe`` entry (a Trainer's global step)."""
        from ..models.resolve import encoder_for
        from .runner import run_corpus
        if self.tokenizer is None:
            raise WordinfoError("Probe.begin(model, tokenizer) comes before Probe.explain")
        epoch = int(epoch)
        started, cpu_started = time.time(), time.process_time()
        first = not self.epochs and not self.failed
        try:
            with undisturbed(model):
                encoder = encoder_for(model, self.tokenizer, f"{self.name} epoch {epoch}")
                run = run_corpus(
                    self.source.path, epoch_dir(self.out, epoch), encoder, self.layers, solver=self.solver,
                    **{"batch_size": PROBE_BATCH, "calibration": self.calibration, **self.options},
                    fmt=self.source.format, progress=self.progress, log=lambda message: None,
                    record={"epoch": epoch, "probe": {"name": self.name, "epoch": epoch, **record,
                                                      "identity": self.identity}})
        except WordinfoError as e:
            if first:                  # before training: the user fixes it and starts again
                raise
            self.failed[epoch] = str(e)
            self.warn(f"probe: epoch {epoch} not explained ({e}); training goes on")
            return None
        finally:
            self.wall += time.time() - started
            self.cpu += time.process_time() - cpu_started
        self.epochs.append(epoch)
        self.log(f"probe: epoch {epoch}, {run.done} sentences explained into {run.path} "
                 f"({time.time() - started:.1f} s)")
        return run

    def report(self) -> dict:
        """What was probed and what it cost (for ``metrics.json``): kept apart from the training's own time."""
        return {"dir": str(self.out), "name": self.name, "sentences": len(self.texts), "epochs": list(self.epochs),
                "layers": str(self.layers), "solver": self.solver, "options": self.options,
                "wall_time_s": round(self.wall, 1), "cpu_time_s": round(self.cpu, 1),
                **({"failed": {str(k): v for k, v in self.failed.items()}} if self.failed else {})}

    # ---- checks
    def _check_existing(self, child: Path) -> None:
        if child.name in (SENTENCES_FILE, "calibration.txt"):
            return
        if not (child.is_dir() and EPOCH_DIR.match(child.name)):
            raise WordinfoError(f"the probe folder {str(self.out)!r} holds {child.name!r}, which is not a probe run: "
                                "choose a new or empty folder")
        path = child / "manifest.json"
        if not path.is_file():              # a run killed before its manifest: nothing to keep
            return
        try:
            theirs = json.loads(path.read_text()).get("probe", {}).get("identity")
        except (OSError, ValueError, AttributeError):
            theirs = None
        if theirs != self.identity:
            keys = sorted(k for k in self.identity if theirs.get(k) != self.identity[k]) \
                if isinstance(theirs, dict) else ["it is not a probe run"]
            raise WordinfoError(f"{str(self.out)!r} holds the probe runs of another training or probe set "
                                f"({child.name} differs in: {', '.join(keys)}): choose a new --out, or delete "
                                f"{str(self.out)!r} to start again")

    def _check_sentence(self, encoder, line: int, item) -> None:
        where = f"probe sentence {line} of {self.source.label}"
        pieces = self.tokenizer(*([item] if isinstance(item, str) else item))["input_ids"]
        if len(pieces) > encoder.max_length:
            raise WordinfoError(f"{where} is {len(pieces)} tokens long but the model takes at most "
                                f"{encoder.max_length}: shorten it or take it out of the probe set")
        try:
            encoder.tokenize([item])
        except WordinfoError as e:
            raise WordinfoError(f"{where}: {e}") from None


class _Source:
    """Where the probe's sentences are read from by the runs: a file, or the text of ``OUT/probe.txt``."""

    def __init__(self, path, fmt, label, lines, written=None):
        self.path, self.format, self.label, self.lines, self.written = path, fmt, label, lines, written


def _read_probe(sentences):
    """``(items, source)``: the probe's texts (or sentence pairs) and where the runs read them."""
    if sentences is None:
        raise WordinfoError("no probe set given: pass a file of sentences (one a line, a TSV or JSONL) or a list")
    if isinstance(sentences, (str, Path)):
        p = Path(sentences)
        if not p.is_file():
            raise WordinfoError(f"probe file {str(p)!r} not found: give a file of sentences (one a line, a TSV or "
                                "JSONL)")
        fmt = "txt" if p.suffix.lower() not in (".tsv", ".tab", ".jsonl", ".ndjson") else "auto"
        spec = corpus.open_spec(p, fmt)
        rows = list(corpus.rows(spec))
        if not rows:
            raise WordinfoError(f"probe file {str(p)!r} has no sentences: give one sentence a line")
        return [r.item for r in rows], _Source(spec.path, spec.format, p.name, [r.line for r in rows])
    texts = list(sentences)
    if not texts:
        raise WordinfoError("the probe set is empty: give at least one sentence")
    for i, t in enumerate(texts):
        if not isinstance(t, str) or not t.strip() or "\n" in t.strip():
            raise WordinfoError(f"probe sentence {i + 1} is not one line of text ({t!r}): give each sentence as one "
                                "non-empty line")
    texts = [t.strip() for t in texts]
    return texts, _Source(None, "txt", "the probe set", list(range(1, len(texts) + 1)), "\n".join(texts) + "\n")
