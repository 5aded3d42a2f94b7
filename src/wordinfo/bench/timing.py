"""Timing solver runs: one solver on a stream of problems (in this process or on workers), its answers and costs."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import torch

from .memory import PeakMemory


@dataclass
class SolverRun:
    """One solver on one batch of problems: its answers and costs."""
    solver: str
    seconds: float
    memory_mb: float
    gpu_memory_mb: float     # 0 on a CPU
    log_sigma: list          # per problem: [T, B, n]
    log_sigma_se: list       # per problem: [T, B, n], the solver's standard errors
    layer_evaluations: int   # noisy copies x layers they passed through (forward + backward)
    converged: float         # share of (sentence, layer) pairs


def run_on_workers(pool, texts: list[list[str]], solver: str, **options) -> SolverRun:
    """``run_solver_on`` for batches of texts shared out to a :class:`~wordinfo.pool.RayPool`'s actors.

    Memory is the peak of the actors' summed resident memory above their level once loaded
    (each holds its own copy of the model, not counted)."""
    memory = PeakMemory(pids=pool.pids())
    return _tally(f"{solver} x{pool.workers}", pool.job, lambda: pool.solve(texts, solver, **options), memory)


def run_solver_on(job, problems, solver: str, float32: bool = False, **options) -> SolverRun:
    """Solve ``problems`` one after the other; ``float32`` turns off reduced-precision noisy passes.

    The paper solver always runs in float32, as the authors' code does.
    """
    if float32 or solver == "paper":
        problems = [dataclasses.replace(p, compute_dtype=None) for p in problems]
    with job.encoder.frozen():
        return _tally(solver, job, lambda: (job.solve(p, solver=solver, **options) for p in problems),
                      PeakMemory(job.device))


def _tally(name: str, job, start_solving, memory: PeakMemory) -> SolverRun:
    """Time ``start_solving()``'s results as they come, within ``memory``, and count their evaluations.

    Answers come back on the CPU, so a GPU has finished when the clock stops."""
    depth = torch.tensor([t.layer or job.encoder.num_layers for t in job.targets])
    answers, errors, evals, conv = [], [], 0, []
    with memory as mem:
        start = time.perf_counter()
        for result in start_solving():
            answers.append(result.log_sigma)
            errors.append(result.log_sigma_se)
            evals += int((result.evaluations * depth[:, None]).sum())
            conv.append(result.converged.float().mean().item())
        seconds = time.perf_counter() - start
    return SolverRun(name, seconds, mem.extra_mb, mem.gpu_extra_mb, answers, errors, evals, float(np.mean(conv)))
