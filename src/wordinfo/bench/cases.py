"""The benchmark's cases and driver: the SST-2 data, case A, case B, the results file and the log.

:func:`bench` runs case A (one sentence), case B (a corpus slice, with the paper solver on a few
sentences as the reference) and the scaling sweep (:mod:`wordinfo.bench.scaling`) in one process,
keeping the results file up to date after each case.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np
import torch

from ..files import write_json
from .agreement import agreement, agreement_row, seed_agreement
from .scaling import scaling, scaling_figure
from .timing import run_on_workers, run_solver_on


def sst2_sentences(path: str | Path | None = None, n: int | None = None) -> list[str]:
    """Sentences of an SST-2 TSV (label, tab, text), in file order; default: ``../shared/data/sst2/test.tsv``."""
    from ..corpus import default_data_dir, read_texts
    return read_texts(path or default_data_dir() / "sst2" / "test.tsv", n, minimum=1, what="the benchmark")


def case_a_sentence(texts: list[str]) -> str:
    """Case A's sentence: the first of 12 to 20 words."""
    return next(t for t in texts if 12 <= len(t.split()) <= 20)


def bench(quick: bool = False, data: str | None = None, out: str | Path = "benchmarks/results/bench.json",
          figure: str | Path | None = "docs/performance.png", paper_steps: int | None = None,
          sentences: int | None = None, batch_size: int = 1, device: str | None = None, skip_scaling: bool = False,
          reference_sentences: int | None = None, workers: int | None = None, log=print) -> dict:
    """Run cases A, B and the scaling sweep; write JSON (and the scaling figure); return the results.

    ``device`` ('cpu', 'cuda', 'auto') is where every solver runs; ``skip_scaling`` leaves the
    sweep out (for a short run on a borrowed GPU). Case B also runs on ``workers`` single-thread
    Ray actors (default: 2 on a CPU with two or more cores where Ray is installed, none on a GPU) beside the
    one process."""
    from ..job import prepare
    from ..pool import RayPool

    torch.manual_seed(0)
    paper_steps = paper_steps or (300 if quick else 5000)
    n_b = sentences or (8 if quick else 64)
    n_ref = reference_sentences or (1 if quick else 3)
    texts = sst2_sentences(data)
    job = prepare(None, device=device)
    machine = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
               "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
               "device": job.settings["device"],
               "gpu": torch.cuda.get_device_name(job.device) if job.device.type == "cuda" else None}
    results: dict = {"machine": machine, "quick": quick, "paper_steps": paper_steps, "model": job.encoder.name,
                     "dtype": job.settings["dtype"]}
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if job.device.type == "cpu" and _has_ray() else 1

    # untimed warm-up: the first calls pay for one-off set-up (on a GPU: context, kernels; seconds)
    short = next(t for t in texts if len(t.split()) <= 8)
    for solver in ("default", "fast"):
        run_solver_on(job, [job.problem([short])[0]], solver)

    # ---- case A: one sentence, six layers
    sentence = case_a_sentence(texts)
    problem_a, _ = job.problem([sentence])
    log(f"noisy passes in {job.settings['dtype']} (the paper solver in float32)")
    log(f"case A: {sentence!r}")
    # "default-float32": the same solver without bfloat16, to show what the arithmetic alone gives
    runs = {name: run_solver_on(job, [problem_a], solver, **opts)
            for name, solver, opts in (("default", "default", {}), ("default-float32", "default", {"float32": True}),
                                       ("fast", "fast", {}), ("paper", "paper", {"steps": paper_steps}))}
    results["case_a"] = _case_table([problem_a], runs, reference="paper", sentences=1)
    results["case_a"]["sentence"] = sentence
    _log_case(log, "A", results["case_a"])
    _write(results, out)            # each case is kept as soon as it is done: a cut-off run loses only the rest

    # ---- case B: a corpus slice, a sentence at a time (fastest on CPU), and the paper solver on a few
    chosen = texts[:n_b]
    batches = [chosen[i:i + batch_size] for i in range(0, n_b, batch_size)]
    problems = [job.problem(b)[0] for b in batches]
    runs_b = {name: run_solver_on(job, problems, name) for name in ("default", "fast")}
    if workers > 1:         # the same stream shared out to single-thread processes
        with RayPool(job, workers) as pool:
            runs_b.update({f"{name} x{workers}": run_on_workers(pool, batches, name) for name in ("default", "fast")})
    # the same stream with another seed: how far the answers move, and whether the error bars say so
    job_1 = prepare(None, device=device, seed=1)
    if workers > 1:
        with RayPool(job_1, workers) as pool:
            seed_1 = {name: run_on_workers(pool, batches, name) for name in ("default", "fast")}
    else:
        seed_1 = {name: run_solver_on(job_1, problems, name) for name in ("default", "fast")}
    ref_problems = [job.problem([t])[0] for t in chosen[:n_ref]]
    ref_runs = {name: run_solver_on(job, ref_problems, name, **opts)
                for name, opts in (("default", {}), ("fast", {}), ("paper", {"steps": paper_steps}))}
    case_b = {
        "sentences": n_b, "batch_size": batch_size, "workers": workers,
        "per_minute": {k: n_b / r.seconds * 60 for k, r in runs_b.items()},
        "seconds": {k: r.seconds for k, r in runs_b.items()},
        "memory_mb": {k: r.memory_mb for k, r in runs_b.items()},
        "gpu_memory_mb": {k: r.gpu_memory_mb for k, r in runs_b.items()},
        "layer_evaluations": {k: r.layer_evaluations for k, r in runs_b.items()},
        "converged": {k: r.converged for k, r in runs_b.items()},
        "paper_seconds_scaled": ref_runs["paper"].seconds * n_b / n_ref,
        "fast_vs_default_spearman_median": float(np.median(agreement(problems, runs_b["fast"].log_sigma,
                                                                     runs_b["default"].log_sigma))),
        # the same answers from single-thread workers differ from two-thread ones at rounding level only
        "workers_vs_one_process_spearman_median": {
            name: float(np.median(agreement(problems, runs_b[f"{name} x{workers}"].log_sigma, runs_b[name].log_sigma)))
            for name in ("default", "fast") if workers > 1},
        "reference": _case_table(ref_problems, ref_runs, reference="paper", sentences=n_ref),
        "seeds": {name: seed_agreement(problems, runs_b[name], seed_1[name], job.scale)
                  for name in ("default", "fast")},
    }
    if workers > 1 and batch_size == 1:     # the workers' answers on the reference sentences, judged the same way
        case_b["reference_workers"] = {
            name: agreement_row(ref_problems, runs_b[name].log_sigma[:n_ref], ref_runs["paper"].log_sigma)
            for name in (f"default x{workers}", f"fast x{workers}")}
    case_b["speedup_vs_paper"] = {k: case_b["paper_seconds_scaled"] / s for k, s in case_b["seconds"].items()}
    # memory against corpus size: the same stream of batches, a quarter as long
    quarter = run_solver_on(job, problems[:max(1, len(problems) // 4)], "default")
    case_b["memory_mb_quarter_corpus"] = quarter.memory_mb
    case_b["gpu_memory_mb_quarter_corpus"] = quarter.gpu_memory_mb
    results["case_b"] = case_b
    _log_case_b(log, case_b)
    _write(results, out)

    # ---- scaling
    if skip_scaling:
        figure = None
    else:
        results["scaling"] = scaling(job, texts, quick=quick, log=log)
    if figure:
        scaling_figure(results["scaling"], figure)
    _write(results, out)
    log(f"written {out}" + (f" and {figure}" if figure else ""))
    return results


def _write(results: dict, out: str | Path) -> None:
    """Write the results so far, atomically (a reader never sees half a file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, results, indent=1, sort_keys=False)


def _case_table(problems, runs: dict, reference: str, sentences: int) -> dict:
    """Per solver: seconds, memory, evaluations, speed-up over ``reference`` and agreement with it."""
    ref = runs[reference]
    table = {}
    for name, r in runs.items():
        row = {"seconds": r.seconds, "memory_mb": r.memory_mb, "gpu_memory_mb": r.gpu_memory_mb,
               "layer_evaluations": r.layer_evaluations,
               "speedup": ref.seconds / r.seconds, "converged": r.converged}
        if name != reference:
            row.update(agreement_row(problems, r.log_sigma, ref.log_sigma))
        table[name] = row
    return {"sentences": sentences, "solvers": table}


def _log_case(log, name, case):
    log(f"\ncase {name}: solver            seconds  speed-up  layer-evals  mem MB  spearman(med/min)  "
        "objective gap (max)")
    for solver, r in case["solvers"].items():
        agree = (f"{r['spearman_median']:.3f}/{r['spearman_min']:.3f}      {r['objective_gap_max']:+.2%}"
                 if "spearman_median" in r else "reference")
        log(f"        {solver:16s} {r['seconds']:8.1f} {r['speedup']:8.1f}x {r['layer_evaluations']:11d} "
            f"{r['memory_mb']:7.0f}  {agree}")


def _log_case_b(log, b):
    log(f"\ncase B: {b['sentences']} sentences, six layers, batches of {b['batch_size']}")
    for k in b["seconds"]:
        log(f"  {k:8s} {b['per_minute'][k]:7.1f} sentences/min, {b['speedup_vs_paper'][k]:6.1f}x the paper solver "
            f"(scaled), memory +{b['memory_mb'][k]:.0f} MB, converged {b['converged'][k]:.0%}")
    log(f"  fast vs default: median Spearman {b['fast_vs_default_spearman_median']:.3f}; "
        f"memory for a quarter of the corpus: +{b['memory_mb_quarter_corpus']:.0f} MB")
    for name, r in b.get("workers_vs_one_process_spearman_median", {}).items():
        log(f"  {name} on workers vs one process: median Spearman {r:.3f}")
    _log_case(log, "B (reference sentences)", b["reference"])
    for name, r in b["seeds"].items():
        log(f"  {name}, seed 0 vs 1 ({r['pairs']} sentence-layer pairs, {r['words']} words): Spearman median "
            f"{r['spearman_median']:.3f}, 10th percentile {r['spearman_p10']:.3f}, min {r['spearman_min']:.3f}; "
            f"median |log sigma ratio| {r['median_abs_log_ratio']:.2%}; error bars cover {r['error_bar_coverage']:.0%}")
    for name, r in b.get("reference_workers", {}).items():
        log(f"        {name:16s} vs paper: Spearman {r['spearman_median']:.3f}/{r['spearman_min']:.3f}, "
            f"objective gap (max) {r['objective_gap_max']:+.2%}")


def _has_ray() -> bool:
    import importlib.util
    return importlib.util.find_spec("ray") is not None
