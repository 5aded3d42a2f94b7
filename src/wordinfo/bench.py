"""``wordinfo bench``: the default and fast solvers against the authors' algorithm, side by side.

Everything runs in one process on the bundled MiniLM-L6, one case after another:

* case A: one SST-2 sentence, all six layers: paper solver vs default vs fast;
* case B: many SST-2 test sentences, all six layers, default and fast, in batches;
  the paper solver on a few of them, its time scaled up to the whole set, as the
  reference;
* scaling: time and memory against sentence length, number of layers and batch size.

Agreement is judged two ways: the Spearman correlation of sigma over the tokens of
each (sentence, layer), and the objective of each answer evaluated on one common
set of fresh Gaussian noise samples, so that no solver is judged on its own draws.
Memory is the peak resident set size above the level before the case, sampled.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .objective import objective

# the project's data sit beside its checkout (../shared/data); looked for from the working directory, then the checkout
DATA_CANDIDATES = (Path("../shared/data/sst2/test.tsv"),
                   Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sst2" / "test.tsv")
COMMON_SAMPLES = 1024     # the common-noise objective: enough that a 0.1% gap is above its own noise


def sst2_sentences(path: str | Path | None = None, n: int | None = None) -> list[str]:
    """Sentences of an SST-2 TSV (label, tab, text), in file order."""
    from .errors import WordinfoError
    p = Path(path) if path else next((c for c in DATA_CANDIDATES if c.is_file()), DATA_CANDIDATES[0])
    if not p.is_file():
        raise WordinfoError(f"SST-2 file {str(p)!r} not found: pass --data PATH/TO/sst2/test.tsv")
    rows = [line.split("\t", 1)[1].strip() for line in p.read_text(encoding="utf-8").splitlines() if "\t" in line]
    return rows[:n] if n else rows


class PeakMemory:
    """Peak resident memory above the level at entry, sampled every 5 ms from /proc (Linux),
    plus the GPU's peak allocation above its level at entry when ``device`` is a GPU.

    ``pids``: measure the sum over those processes (worker processes) instead of this one."""

    def __init__(self, device: torch.device | None = None, pids: list[int] | None = None):
        self.gpu = device is not None and torch.device(device).type == "cuda"
        self.pids = pids

    def __enter__(self):
        self.start = self.peak = self._rss()
        if self.gpu:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.gpu_start = torch.cuda.memory_allocated()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.gpu_extra = (torch.cuda.max_memory_allocated() - self.gpu_start) if self.gpu else 0

    def _rss(self) -> int:
        return sum(_rss(pid) for pid in self.pids) if self.pids else _rss()

    @property
    def extra_mb(self) -> float:
        return (self.peak - self.start) / 2**20

    @property
    def gpu_extra_mb(self) -> float:
        return self.gpu_extra / 2**20


def _rss(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


@dataclass
class Run:
    """One solver on one batch of problems: its answers and costs."""
    solver: str
    seconds: float
    memory_mb: float
    gpu_memory_mb: float     # 0 on a CPU
    log_sigma: list          # per problem: [T, B, n]
    log_sigma_se: list       # per problem: [T, B, n], the solver's standard errors
    layer_evaluations: int   # noisy copies x layers they passed through (forward + backward)
    converged: float         # share of (sentence, layer) pairs


def run_on_workers(pool, texts: list[list[str]], solver: str, **options) -> Run:
    """``run_solver_on`` for batches of texts shared out to a :class:`~wordinfo.workers.WorkerPool`.

    Memory is the peak of the workers' summed resident memory above their level once loaded
    (each holds its own copy of the model, not counted)."""
    import multiprocessing
    memory = PeakMemory(pids=[p.pid for p in multiprocessing.active_children()])
    return _tally(f"{solver} x{pool.workers}", pool.job, lambda: pool.solve(texts, solver, **options), memory)


def run_solver_on(job, problems, solver: str, float32: bool = False, **options) -> Run:
    """Solve ``problems`` one after the other; ``float32`` turns off reduced-precision noisy passes.

    The paper solver always runs in float32, as the authors' code does.
    """
    if float32 or solver == "paper":
        problems = [dataclasses.replace(p, compute_dtype=None) for p in problems]
    with job.encoder.frozen():
        return _tally(solver, job, lambda: (job.solve(p, solver=solver, **options) for p in problems),
                      PeakMemory(job.device))


def _tally(name: str, job, start_solving, memory: PeakMemory) -> Run:
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
    return Run(name, seconds, mem.extra_mb, mem.gpu_extra_mb, answers, errors, evals, float(np.mean(conv)))


@torch.no_grad()
def common_objective(problem, log_sigma: torch.Tensor, samples: int = COMMON_SAMPLES) -> torch.Tensor:
    """The objective ``[T, B]`` of an answer on fresh iid Gaussian noise, the same for every solver."""
    g = torch.Generator().manual_seed(20190609)
    device = problem.x.device
    eps = torch.randn(problem.x.shape[0], samples, *problem.x.shape[1:], generator=g).to(device)
    eps = eps * problem.mask[:, None, :, None]
    items = torch.arange(problem.x.shape[0], device=device)
    log_sigma = log_sigma.to(device)
    errors = problem.sample_errors(log_sigma, items, eps).mean(-1)
    return objective(errors, log_sigma, problem.mask[None], problem.lam).cpu()


def agreement(problems, a: list, b: list) -> list[float]:
    """Spearman correlation of sigma over the real tokens of every (sentence, layer)."""
    from scipy.stats import spearmanr
    out = []
    for p, ua, ub in zip(problems, a, b):
        for t in range(ua.shape[0]):
            for i in range(ua.shape[1]):
                m = p.mask[i].cpu()
                out.append(float(spearmanr(ua[t, i, m].numpy(), ub[t, i, m].numpy())[0]))
    return out


def seed_agreement(problems, a: "Run", b: "Run", scale: float) -> dict:
    """How two seeds' answers agree, per (sentence, layer) and per word, and whether the error bars cover it.

    Spearman of sigma per pair (median, 10th percentile, min; and its median over the words not
    at the bound in both answers, for pairs with three such words or more), the median word's
    |log sigma_a - log sigma_b|, and the share of words with that difference within
    ``1.96 sqrt(se_a^2 + se_b^2)`` (words at the bound in both answers left out: they agree exactly).
    """
    from scipy.stats import spearmanr
    rho, rho_free, diffs, covered = [], [], [], []
    upper = float(np.log(scale)) - 1e-6
    for p, ua, ub, sa, sb in zip(problems, a.log_sigma, b.log_sigma, a.log_sigma_se, b.log_sigma_se):
        for t in range(ua.shape[0]):
            for i in range(ua.shape[1]):
                m = p.mask[i].cpu()
                x, y = ua[t, i, m].numpy(), ub[t, i, m].numpy()
                rho.append(float(spearmanr(x, y)[0]) if len(x) > 1 else 1.0)
                free = ~((x >= upper) & (y >= upper))
                if free.sum() >= 3:
                    rho_free.append(float(spearmanr(x[free], y[free])[0]))
                d = np.abs(x - y)[free]
                bar = 1.96 * np.sqrt(sa[t, i, m].numpy() ** 2 + sb[t, i, m].numpy() ** 2)[free]
                diffs.extend(d.tolist())
                covered.extend((d <= bar + 1e-9).tolist())
    rho = np.nan_to_num(np.array(rho), nan=1.0)
    return {"pairs": len(rho), "words": len(diffs), "spearman_median": float(np.median(rho)),
            "spearman_p10": float(np.percentile(rho, 10)), "spearman_min": float(np.min(rho)),
            "spearman_free_median": float(np.median(np.nan_to_num(rho_free, nan=1.0))) if rho_free else None,
            "pairs_free": len(rho_free),
            "median_abs_log_ratio": float(np.median(diffs)), "error_bar_coverage": float(np.mean(covered))}


def objective_gap(problems, answer: list, reference: list) -> list[float]:
    """Relative excess of ``answer``'s common-noise objective over ``reference``'s, per (sentence, layer).

    Positive means worse than the reference; the objective is normalised by the
    reference's absolute value.
    """
    gaps = []
    for p, ua, ur in zip(problems, answer, reference):
        la, lr = common_objective(p, ua), common_objective(p, ur)
        gaps.extend(((la - lr) / lr.abs()).flatten().tolist())
    return gaps


def bench(quick: bool = False, data: str | None = None, out: str | Path = "benchmarks/results/bench.json",
          figure: str | Path | None = "docs/performance.png", paper_steps: int | None = None,
          sentences: int | None = None, batch_size: int = 1, device: str | None = None, skip_scaling: bool = False,
          reference_sentences: int | None = None, workers: int | None = None, log=print) -> dict:
    """Run cases A, B and the scaling sweep; write JSON (and the scaling figure); return the results.

    ``device`` ('cpu', 'cuda', 'auto') is where every solver runs; ``skip_scaling`` leaves the
    sweep out (for a short run on a borrowed GPU). Case B also runs on ``workers`` single-thread
    processes (default: 2 on a CPU with two or more cores, none on a GPU) beside the one process."""
    from .explainer import prepare
    from .workers import WorkerPool

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
        workers = min(2, os.cpu_count() or 1) if job.device.type == "cpu" else 1

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
        with WorkerPool(job, workers) as pool:
            runs_b.update({f"{name} x{workers}": run_on_workers(pool, batches, name) for name in ("default", "fast")})
    # the same stream with another seed: how far the answers move, and whether the error bars say so
    job_1 = prepare(None, device=device, seed=1)
    if workers > 1:
        with WorkerPool(job_1, workers) as pool:
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
        "seeds": {name: seed_agreement(problems, runs_b[name], seed_1[name], job.scale) for name in ("default", "fast")},
    }
    if workers > 1 and batch_size == 1:     # the workers' answers on the reference sentences, judged the same way
        case_b["reference_workers"] = {
            name: _agreement_row(ref_problems, runs_b[name].log_sigma[:n_ref], ref_runs["paper"].log_sigma)
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


def case_a_sentence(texts: list[str]) -> str:
    """Case A's sentence: the first of 12 to 20 words."""
    return next(t for t in texts if 12 <= len(t.split()) <= 20)


def _write(results: dict, out: str | Path) -> None:
    """Write the results so far, atomically (a reader never sees half a file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=1))
    tmp.replace(out)


def _case_table(problems, runs: dict, reference: str, sentences: int) -> dict:
    ref = runs[reference]
    table = {}
    for name, r in runs.items():
        row = {"seconds": r.seconds, "memory_mb": r.memory_mb, "gpu_memory_mb": r.gpu_memory_mb,
               "layer_evaluations": r.layer_evaluations,
               "speedup": ref.seconds / r.seconds, "converged": r.converged}
        if name != reference:
            row.update(_agreement_row(problems, r.log_sigma, ref.log_sigma))
        table[name] = row
    return {"sentences": sentences, "solvers": table}


def _agreement_row(problems, answer: list, reference: list) -> dict:
    """Spearman (median, min) and objective gap (max, median) of ``answer`` against ``reference``."""
    rho = agreement(problems, answer, reference)
    gap = objective_gap(problems, answer, reference)
    return dict(spearman_median=float(np.median(rho)), spearman_min=float(np.min(rho)),
                objective_gap_max=float(np.max(gap)), objective_gap_median=float(np.median(gap)))


def _log_case(log, name, case):
    log(f"\ncase {name}: solver            seconds  speed-up  layer-evals  mem MB  spearman(med/min)  objective gap (max)")
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


def scaling(job, texts, quick: bool = False, log=print) -> dict:
    """Time and memory of the default solver against length, layers and batch size."""
    from .explainer import prepare
    words = " ".join(texts[:200]).split()
    lengths = (8, 16, 32) if quick else (8, 16, 32, 64, 128)
    rows = {"length": [], "layers": [], "batch": []}
    for n in lengths:                                    # n tokens including [CLS] and [SEP]
        text = _text_of_tokens(job.encoder.tokenizer, words, n)
        r = run_solver_on(job, [job.problem([text])[0]], "default")
        rows["length"].append({"tokens": n, "seconds": r.seconds, "memory_mb": r.memory_mb})
        log(f"  length {n:4d} tokens: {r.seconds:6.1f} s, +{r.memory_mb:.0f} MB")
    sample = texts[100]
    for layers in ((1, 3, 6) if quick else (1, 2, 3, 4, 5, 6)):
        sub = prepare(job.encoder.model, job.encoder.tokenizer, layers=list(range(1, layers + 1)),
                      dtype=job.settings["dtype"])
        r = run_solver_on(sub, [sub.problem([sample])[0]], "default")
        rows["layers"].append({"layers": layers, "seconds": r.seconds, "memory_mb": r.memory_mb})
        log(f"  layers 1..{layers}: {r.seconds:6.1f} s, +{r.memory_mb:.0f} MB")
    for batch in ((1, 4) if quick else (1, 2, 4, 8, 16)):
        chosen = texts[200:200 + batch]
        r = run_solver_on(job, [job.problem(chosen)[0]], "default")
        rows["batch"].append({"batch": batch, "seconds": r.seconds, "per_sentence": r.seconds / batch,
                              "memory_mb": r.memory_mb})
        log(f"  batch {batch:3d}: {r.seconds:6.1f} s ({r.seconds / batch:.1f} s a sentence), +{r.memory_mb:.0f} MB")
    return rows


def _text_of_tokens(tokenizer, words, n):
    """A text of exactly ``n`` tokens with the specials, cut from running SST-2 words."""
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][: n - 2]
    return tokenizer.decode(ids)


def scaling_figure(rows: dict, path: str | Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    specs = (("length", "tokens", "sentence length (tokens)"), ("layers", "layers", "layers explained"),
             ("batch", "batch", "sentences per batch"))
    for ax, (key, x, label) in zip(axes, specs):
        xs = [r[x] for r in rows[key]]
        ax.plot(xs, [r["seconds"] for r in rows[key]], "o-", label="seconds")
        if key == "batch":
            ax.plot(xs, [r["per_sentence"] for r in rows[key]], "s--", label="seconds per sentence")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds (default solver)")
        ax2 = ax.twinx()
        memory = [r["memory_mb"] for r in rows[key]]
        ax2.plot(xs, memory, "^:", color="grey", label="memory")
        ax2.set_ylabel("peak memory above start (MB)", color="grey")
        ax2.set_ylim(0, max(100.0, 1.1 * max(memory)))      # sampling noise of a few kB is not a curve
        if key != "layers":
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")                             # seconds span two orders of magnitude
        ax.legend(loc="upper left", fontsize=7)
    fig.suptitle("wordinfo default solver, bundled MiniLM-L6, all six layers unless stated", fontsize=9)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
