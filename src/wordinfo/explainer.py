"""``wordinfo.explain``: every layer of a Hugging Face encoder, for one or many texts, in one call."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Sequence

import torch

from ._checks import check_finite, check_positive
from ._utils import release_memory
from .errors import WordinfoError
from .models.encoder import embed_texts
from .explanation import Explanation
from .objective import fallback_feature_std
from .problem import Problem, compute_dtype, resolve_device
from .words import word_map
from .workers import WorkerPool, check_workers


def explain(texts: str | Sequence[str], model=None, tokenizer=None, layers="all", target: str = "tokens", *,
            lam: float = 0.1, scale: float | None = None, calibration: str | None = None, seed: int = 0,
            solver: str = "default", batch_size: int = 1, truncate: bool = False, progress: bool = False,
            dtype: str = "auto", device: str | None = None, workers: int = 1, **solver_options) -> Explanation:
    """How much each layer keeps of each word of ``texts``.

    ``model`` is None (the bundled MiniLM-L6), a local directory, or a loaded
    ``transformers`` model (then pass its ``tokenizer``). ``layers`` is 'all', a list
    or '1,3,6'; ``target`` is 'tokens' (the layer's token states), 'cls' (the first
    token's state) or 'logits' (models with a classification head). sigma_S comes
    from ``calibration`` (a file of sentences, one per line; default: a bundled
    sample; 'none' for the per-sentence mean-square fallback). ``scale`` defaults to
    ten times the std of the word-embedding matrix. Texts are explained in batches of
    ``batch_size``, sorted by length; on a CPU one at a time (the default) is fastest, since
    each evaluation is already compute-bound and a batch adds padding
    (``benchmarks/bench_batching.py``); larger batches pay off on a GPU. The noisy passes run
    in ``dtype``: 'auto' takes bfloat16 matrix products where the hardware is fast at them
    (answers agree with float32 within sampling error: docs/performance.md), 'float32' never.
    ``device`` ('cpu', 'cuda', 'auto' = the GPU when there is one) moves the model there
    first; None leaves it where it is (a model loaded from a path starts on the CPU).
    ``workers`` > 1 explains batches on that many single-thread processes (CPU, a model given
    by name or path; run it under ``if __name__ == "__main__":`` in a script).
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    if not texts:
        raise WordinfoError("no text given: pass a string or a list of strings")
    job = prepare(model, tokenizer, layers, target, lam=lam, scale=scale, calibration=calibration, seed=seed,
                  solver=solver, truncate=truncate, dtype=dtype, device=device, **solver_options)
    check_workers(workers, job)
    for t in texts:
        job.encoder.tokenize([t], truncate=truncate)             # fail early, before any long work
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))    # similar lengths share a batch
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    results: dict[int, tuple] = {}
    bar = _progress(len(texts), progress)
    with job.encoder.frozen(), (WorkerPool(job, workers) if workers > 1 else contextlib.nullcontext()) as pool:
        answers = (pool or job).run_many([[texts[i] for i in batch] for batch in batches], bar)
        for batch, answer in zip(batches, answers):
            results.update(zip(batch, answer))
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    return job.explanation(texts, [results[i] for i in range(len(texts))])


def prepare(model=None, tokenizer=None, layers="all", target: str = "tokens", *, lam: float = 0.1,
            scale: float | None = None, calibration: str | None = None, seed: int = 0, solver: str = "default",
            truncate: bool = False, dtype: str = "auto", device: str | None = None,
            **solver_options) -> "Job":
    """Load and check everything ``explain`` needs (model, targets, sigma_S), once for many batches."""
    from .calibration import feature_stds, read_sentences
    from .estimator import check_solver, solver_defaults
    from .models.checkpoint import load as load_pretrained      # native checkpoints, HF directories, 'minilm'
    from .models.native import encoder_for

    check_solver(solver, solver_options)
    where = resolve_device(device)
    # what a worker process needs to build the same job again (a model given by name or path only)
    recipe = None if not (model is None or isinstance(model, str)) else dict(
        model=model, layers=layers, target=target, lam=lam, scale=scale, calibration=calibration, seed=seed,
        solver=solver, truncate=truncate, dtype=dtype, device=device, **solver_options)
    if model is None or isinstance(model, str):
        if tokenizer is not None and model is None:
            raise WordinfoError("a tokenizer was given without its model: pass model= too")
        model, tokenizer, name = load_pretrained(model)
    else:
        if tokenizer is None:
            raise WordinfoError("a model object needs its tokenizer: explain(texts, model, tokenizer)")
        name = getattr(getattr(model, "config", None), "name_or_path", None) or type(model).__name__
    if where is not None:
        model = model.to(where)
    encoder = encoder_for(model, tokenizer, name)
    where = encoder.device
    noisy_dtype = compute_dtype(dtype, where)
    calibration = calibration or getattr(encoder, "calibration_file", None)   # a checkpoint's own sample
    targets = encoder.targets(layers, target)
    lam = check_positive("lam", lam)
    scale = check_positive("scale", encoder.default_scale() if scale is None else scale)
    use_fallback = isinstance(calibration, str) and calibration.lower() == "none"
    with encoder.frozen():
        stds = None if use_fallback else feature_stds(encoder, targets, read_sentences(calibration))
    stds = None if stds is None else [s.to(where) for s in stds]
    settings = {"lam": lam, "scale": scale, "seed": seed, "solver": solver,
                "input": getattr(encoder, "input_name", "embedding block output"),
                "feature_std": "none (per-sentence mean square)" if use_fallback else
                f"calibration sample ({calibration or 'bundled, 60 sentences'})",
                "dtype": str(noisy_dtype or torch.float32).replace("torch.", ""), "device": str(where),
                **solver_defaults(solver), **solver_options}     # every option in force, so a resumed run can check
    return Job(encoder, targets, stds, lam, scale, seed, solver, truncate, solver_options, settings, noisy_dtype,
               recipe)


@dataclass
class Job:
    """A prepared model, its targets and settings; ``run`` explains one batch of texts."""
    encoder: object
    targets: list
    feature_stds: list | None
    lam: float
    scale: float
    seed: int
    solver: str
    truncate: bool
    options: dict
    settings: dict
    compute_dtype: object = None        # dtype of the noisy passes (None: float32)
    recipe: dict | None = None          # prepare()'s arguments, for worker processes; None for a model object

    @property
    def device(self) -> torch.device:
        return self.encoder.device

    def problem(self, texts: list[str]):
        """The solver's view of a batch of texts, and the tokenizer's encoding of it."""
        encoder, targets = self.encoder, self.targets
        enc, mask, x = embed_texts(encoder, texts, truncate=self.truncate)
        clean = encoder.clean_outputs(x, mask, targets)
        for t, out in zip(targets, clean):
            check_finite(f"the model's output at layer {t.label}", out[mask] if t.kind == "tokens" else out)
        element_mask = [mask[..., None] if t.kind == "tokens" else None for t in targets]
        if self.feature_stds is None:       # METHOD.md's fallback: one scalar per sentence, sqrt(mean s^2)
            fs = [fallback_feature_std(c, em).expand_as(c) for c, em in zip(clean, element_mask)]
        else:
            fs = [s.expand_as(c) for s, c in zip(self.feature_stds, clean)]

        def forward(xs, m, which):
            return encoder.forward(xs, m, [targets[i] for i in which])

        problem = Problem(forward=forward, x=x, mask=mask, clean=clean, feature_std=fs, element_mask=element_mask,
                          lam=self.lam, scale=self.scale, seed=self.seed, compute_dtype=self.compute_dtype)
        return problem, enc

    def solve(self, problem: Problem, bar=None, solver: str | None = None, **options):
        """Run the job's solver (or another, with other options) on a problem, ticking ``bar``."""
        from .estimator import run_solver

        def tick(step, remaining):
            bar.set_postfix(step=step, left=remaining, refresh=True)

        if solver is None:
            solver, options = self.solver, {**self.options, **options}
        result = run_solver(problem, solver, progress=tick if bar is not None else False, **options)
        release_memory()            # so that a long stream of sentences does not grow the heap
        return result

    def run_many(self, batches: list[list[str]], bar=None):
        """``run`` on each batch in turn, lazily (a :class:`~wordinfo.workers.WorkerPool` has the same call)."""
        return (self.run(texts, bar) for texts in batches)

    def explanation(self, texts: list[str], parts: list[tuple]) -> Explanation:
        """The :class:`Explanation` of ``texts`` from what ``run`` gave for each of them."""
        return Explanation(model=self.encoder.name, target=self.targets[0].kind, layers=[t.label for t in self.targets],
                           texts=list(texts), word_maps=[p[0] for p in parts], sigma=[p[1] for p in parts],
                           width=self.encoder.width, scale=self.scale, steps=[p[2] for p in parts],
                           converged=[p[3] for p in parts], settings=self.settings,
                           sigma_se=[p[4] for p in parts])

    def run(self, texts: list[str], bar=None) -> list[tuple]:
        """Explain a batch: per text, its word map, sigma [targets, tokens], steps, converged flags and the
        standard error of log sigma [targets, tokens]."""
        problem, enc = self.problem(texts)
        mask = problem.mask.cpu()
        result = self.solve(problem, bar)
        out = []
        for b in range(len(texts)):
            valid = mask[b]
            tokens = self.encoder.tokenizer.convert_ids_to_tokens(enc["input_ids"][b][valid].tolist())
            wm = word_map(texts[b], tokens, [w for w, v in zip(enc.word_ids(b), valid.tolist()) if v],
                          enc["offset_mapping"][b][valid].tolist(), enc["special_tokens_mask"][b][valid].tolist())
            sigma = result.sigma(self.scale)[:, b, valid].numpy().astype(float)
            se = result.log_sigma_se[:, b, valid].numpy().astype(float)
            out.append((wm, sigma, result.steps[:, b].numpy(), result.converged[:, b].numpy(), se))
        return out


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="explaining", unit="sentence")
