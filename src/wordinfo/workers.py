"""Explain on several CPU worker processes at once, one batch of sentences per worker at a time.

Why processes, not threads: one sentence's matrix products are small (tens of tokens times
a few dozen noise samples), so a second thread inside them keeps a second core only partly
busy, and the Python between them runs on one core. Two single-thread processes explain two
sentences at once and keep both cores of a small machine busy (``wordinfo bench --workers``
measures both ways side by side: docs/performance.md).

Each worker rebuilds the job from its recipe (the model is loaded again from its name or
path; nothing is unpickled from disk) and takes the parent's sigma_S, so every worker gives
the answers the parent would with the same number of threads. The noise of a sentence is
keyed by its content, so the batches can go to any worker in any order.
"""

from __future__ import annotations

import itertools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from .errors import WordinfoError

_JOB = None              # the worker's own job, built once by _start


def check_workers(workers: int, job) -> int:
    """Fail early on a worker count that cannot work: not a whole number, a GPU job, an in-memory model."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise WordinfoError(f"workers must be a whole number >= 1, got {workers!r}")
    if workers > 1 and job.device.type != "cpu":
        raise WordinfoError("worker processes are for CPUs: on a GPU use one worker and a larger --batch-size")
    if workers > 1 and job.recipe is None:
        raise WordinfoError("worker processes load the model again by name: pass a model directory "
                            "(or None for the bundled MiniLM), not a loaded model object, or use workers=1")
    return workers


class WorkerPool:
    """``workers`` processes of ``threads`` threads each, holding the same job as ``job``.

    ``run_many(batches)`` yields, in order, what ``Job.run`` gives for each batch of texts;
    ``solve(batches, solver)`` yields each batch's raw solver answer (for the benchmark).
    Use as a context manager; the processes start (load the model) on entry.
    """

    def __init__(self, job, workers: int = 2, threads: int = 1):
        check_workers(workers, job)
        self.job, self.workers, self.threads = job, workers, threads
        self._pool = None

    def __enter__(self) -> "WorkerPool":
        # spawn, not fork: a forked child of a process that has run OpenMP threads can hang
        context = multiprocessing.get_context("spawn")
        stds = None if self.job.feature_stds is None else [s.cpu() for s in self.job.feature_stds]
        all_started = context.Barrier(self.workers)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start,
                                         initargs=(self.job.recipe, stds, self.job.settings, self.threads,
                                                   all_started))
        try:      # one task per worker: it returns only once every worker holds its model
            list(self._pool.map(_ready, range(self.workers)))
        except BrokenProcessPool as e:
            self._pool.shutdown(cancel_futures=True)
            raise WordinfoError(f"the worker processes failed to start ({e}): run with one worker to see why") from None
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_many(self, batches: Iterable[list[str]], bar=None, predict: bool = False) -> Iterator[list]:
        """As :meth:`Job.run_many`; the workers tick no bar of their own (``bar`` is for the same call shape)."""
        return self._pool.map(_run, batches, itertools.repeat(predict))

    def solve(self, batches: Iterable[list[str]], solver: str, **options) -> Iterator:
        """Per batch, the solver's raw answer (a ``SolverResult``), for the benchmark."""
        return self._pool.map(_solve, batches, itertools.repeat(solver), itertools.repeat(options))


def _start(recipe: dict, stds, settings: dict, threads: int, all_started) -> None:
    """Worker set-up: the job of the recipe with the parent's sigma_S and settings."""
    global _JOB  # noqa: PLW0603 (one job per worker process)
    from .job import rebuild
    _JOB = rebuild(recipe, stds, settings, threads)            # sigma_S comes from the parent: no recalibration
    all_started.wait(timeout=600)


def _ready(_) -> bool:
    return _JOB is not None


def _run(texts: list[str], predict: bool = False) -> list:
    with _JOB.encoder.frozen():
        return _JOB.run(texts, predict=predict)


def _solve(texts: list[str], solver: str, options: dict):
    with _JOB.encoder.frozen():
        problem, _ = _JOB.problem(texts)
        return _JOB.solve(problem, solver=solver, **options)
