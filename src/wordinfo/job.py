"""A prepared explanation job: the model's encoder, its targets, sigma_S and settings, and how to run a batch.

``prepare`` loads and checks everything once (the model through
:func:`wordinfo.models.resolve.resolve`, the targets, sigma_S from the calibration sample,
the solver and its options); ``Job.run`` explains one batch of texts and gives one
:class:`SentenceResult` per text; ``Job.explanation`` turns those into the
:class:`~wordinfo.explanation.Explanation` every front end consumes. ``explain``, corpus
runs, worker processes, the benchmark and the baselines' context all use this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from ._checks import check_finite, check_positive
from .device import compute_dtype, resolve_device, weights_dtype
from .errors import WordinfoError
from .explanation import Explanation
from .memory import MAX_TOKENS, release_memory, tokens_per_pass
from .models.encoder import embed_texts
from .models.targets import head_targets
from .objective import fallback_feature_std
from .pairs import split
from .problem import Problem
from .settings import describe
from .solvers.registry import check_solver, run_solver
from .words import WordMap, word_map


@dataclass
class SentenceResult:
    """What a job gives for one text: its words and, per target, sigma and how it was found."""
    word_map: WordMap
    sigma: np.ndarray            # [targets, tokens]
    steps: np.ndarray            # [targets]
    converged: np.ndarray        # [targets] bool
    sigma_se: np.ndarray         # [targets, tokens]: standard error of log sigma (the relative error of sigma)
    prediction: int | None = None    # the class the model's head predicts at the clean input (None: no head)


def prepare(model=None, tokenizer=None, layers="all", target: str = "tokens", *, lam: float = 0.1,
            scale: float | None = None, calibration: str | None = None, seed: int = 0, solver: str = "default",
            truncate: bool = False, dtype: str = "auto", device: str | None = None, from_layer: int = 0,
            decoder_text: str | None = None, **solver_options) -> "Job":
    """Load and check everything ``explain`` needs (model, targets, sigma_S), once for many batches.

    ``from_layer`` A > 0 makes ``x`` layer A's output: the targets are layers above A, and the bound
    defaults to ten times the std of layer A's states over the calibration sample. ``decoder_text``: the
    target text an encoder-decoder's decoder reads for ``decoder:J`` targets."""
    from .calibration import feature_stds, read_sentences, sample_hash, state_scale
    from .models.resolve import is_encoder, resolve

    check_solver(solver, solver_options)
    where = resolve_device(device)
    # what a worker process needs to build the same job again (a model given by name or path only)
    by_name = model is None or isinstance(model, str)
    recipe = None if not by_name else dict(
        model=model, layers=layers, target=target, lam=lam, scale=scale, calibration=calibration, seed=seed,
        solver=solver, truncate=truncate, dtype=dtype, device=device, from_layer=from_layer,
        decoder_text=decoder_text, **solver_options)
    if not by_name and not is_encoder(model) and tokenizer is None:
        raise WordinfoError("a model object needs its tokenizer: explain(texts, model, tokenizer)")
    encoder = resolve(model, tokenizer, where, weights_dtype(dtype)).start_at(from_layer)
    if decoder_text is not None:
        if not hasattr(encoder, "set_decoder_text"):
            raise WordinfoError(f"--decoder-text is for Hugging Face encoder-decoder models, not {encoder.name}")
        encoder.set_decoder_text(decoder_text)
    where = encoder.device
    noisy_dtype = compute_dtype(dtype, where)
    if getattr(encoder, "weights_dtype", None) == torch.float16 and noisy_dtype is not None:
        # autocast to bfloat16 cannot take float16 weights: such a model runs its passes in its own float16
        if str(dtype).lower() in ("bfloat16", "bf16"):
            raise WordinfoError("the model's weights are float16, which bfloat16 passes cannot take: use "
                                "dtype='auto' or 'float32' (the model's own float16), or model.float()")
        noisy_dtype = None
    calibration = calibration or getattr(encoder, "calibration_file", None)   # a checkpoint's own sample
    targets = encoder.targets(layers, target)
    lam = check_positive("lam", lam)
    use_fallback = isinstance(calibration, str) and calibration.lower() == "none"
    if scale is None and from_layer:
        with encoder.frozen():
            scale = state_scale(encoder, read_sentences(None if use_fallback else calibration))
    scale = check_positive("scale", encoder.default_scale() if scale is None else scale)
    sample = None if use_fallback else read_sentences(calibration)
    with encoder.frozen():
        stds = None if use_fallback else feature_stds(encoder, targets, sample)
    stds = None if stds is None else [s.to(where) for s in stds]
    settings = describe(lam=lam, scale=scale, seed=seed, solver=solver, options=solver_options, defaults=True,
                        input=getattr(encoder, "input_name", "embedding block output"),
                        feature_std="none (per-sentence mean square)" if use_fallback else
                        f"calibration sample ({calibration or 'bundled, 60 sentences'})",
                        dtype=str(noisy_dtype or torch.float32).replace("torch.", ""), device=str(where),
                        # absent for float32 weights, as runs made before this setting have them
                        **({"weights": str(encoder.weights_dtype).replace("torch.", "")}
                           if getattr(encoder, "weights_dtype", torch.float32) != torch.float32 else {}),
                        **({"from_layer": from_layer} if from_layer else {}),   # absent for 0: runs made before compare
                        **({"decoder_text": decoder_text} if decoder_text is not None else {}))
    sampled = None if sample is None else {"file": calibration or "bundled", "sentences": len(sample),
                                            "hash": f"blake2b:{sample_hash(sample)}"}
    return Job(encoder, targets, stds, truncate, solver_options, settings, noisy_dtype, recipe, sampled)


def rebuild(recipe: dict, feature_stds, settings: dict, threads: int | None = None) -> "Job":
    """The job of ``recipe`` (``Job.recipe``) in another process (a worker, a Ray actor), with the first
    process's sigma_S and settings, so that it gives the same answers: the model is loaded again by name
    or path (nothing is unpickled from disk) and nothing is recalibrated."""
    if threads is not None:
        torch.set_num_threads(threads)
    job = prepare(**{**recipe, "calibration": "none", "scale": settings["scale"]})
    stds = None if feature_stds is None else [s.to(job.device) for s in feature_stds]
    return replace(job, feature_stds=stds, settings=settings)


@dataclass
class Job:
    """A prepared model, its targets and settings; ``run`` explains one batch of texts."""
    encoder: object
    targets: list
    feature_stds: list | None
    truncate: bool
    options: dict                       # the solver options the user gave (the settings hold all in force)
    settings: dict                      # what the answers depend on (wordinfo.settings.describe)
    compute_dtype: object = None        # dtype of the noisy passes (None: float32)
    recipe: dict | None = None          # prepare()'s arguments, for worker processes; None for a model object
    calibration: dict | None = None     # the sample sigma_S came from: file, sentences, hash (None: the fallback)

    @property
    def device(self) -> torch.device:
        return self.encoder.device

    @property
    def lam(self) -> float:
        return self.settings["lam"]

    @property
    def scale(self) -> float:
        return self.settings["scale"]

    @property
    def seed(self) -> int:
        return self.settings["seed"]

    @property
    def solver(self) -> str:
        return self.settings["solver"]

    @property
    def has_head(self) -> bool:
        """Whether the model has a classification head (so texts get a prediction)."""
        return bool(head_targets(self.encoder))

    def problem(self, texts: list[str]):
        """The solver's view of a batch of texts, and the tokenizer's encoding of it."""
        problem, enc, _ = self._problem(texts)
        return problem, enc

    def _problem(self, texts: list[str], with_logits: bool = False):
        encoder, targets = self.encoder, self.targets
        enc, mask, x = embed_texts(encoder, texts, truncate=self.truncate)
        clean = encoder.clean_outputs(x, mask, targets)
        for t, out in zip(targets, clean):
            check_finite(f"the model's output at layer {t.label}", out[mask] if t.kind == "tokens" else out)
        logits = None
        if with_logits:        # the prediction at the clean input, from the same embedding
            at = next((i for i, t in enumerate(targets) if t.kind == "logits"), None)
            logits = clean[at] if at is not None else \
                encoder.clean_outputs(x, mask, encoder.targets(None, "logits"))[0]
        element_mask = [mask[..., None] if t.kind == "tokens" else None for t in targets]
        if self.feature_stds is None:       # docs/method.md, "sigma_S": one scalar per sentence, sqrt(mean s^2)
            fs = [fallback_feature_std(c, em).expand_as(c) for c, em in zip(clean, element_mask)]
        else:
            fs = [s.expand_as(c) for s, c in zip(self.feature_stds, clean)]

        def forward(xs, m, which):
            return encoder.forward(xs, m, [targets[i] for i in which])

        per_token = getattr(encoder, "activation_bytes_per_token", None)
        max_tokens = tokens_per_pass(per_token(), self.device) if callable(per_token) else MAX_TOKENS
        problem = Problem(forward=forward, x=x, mask=mask, clean=clean, feature_std=fs, element_mask=element_mask,
                          lam=self.lam, scale=self.scale, seed=self.seed, compute_dtype=self.compute_dtype,
                          max_tokens=max_tokens,
                          names=[f"layer {t.label}" if t.label.isdigit() else t.label for t in targets])
        return problem, enc, logits

    def solve(self, problem: Problem, bar=None, solver: str | None = None, **options):
        """Run the job's solver (or another, with other options) on a problem, ticking ``bar``."""
        def tick(step, remaining):
            bar.set_postfix(step=step, left=remaining, refresh=True)

        if solver is None:
            solver, options = self.solver, {**self.options, **options}
        result = run_solver(problem, solver, progress=tick if bar is not None else False, **options)
        release_memory()            # so that a long stream of sentences does not grow the heap
        return result

    def run_many(self, batches: list[list[str]], bar=None, predict: bool = False):
        """``run`` on each batch in turn, lazily (a :class:`~wordinfo.pool.RayPool` has the same call)."""
        return (self.run(texts, bar, predict) for texts in batches)

    def run(self, texts: list[str], bar=None, predict: bool = False) -> list[SentenceResult]:
        """Explain a batch: one :class:`SentenceResult` per text (with the head's prediction when ``predict``)."""
        problem, enc, logits = self._problem(texts, with_logits=predict and self.has_head)
        mask = problem.mask.cpu()
        result = self.solve(problem, bar)
        out = []
        for b in range(len(texts)):
            valid = mask[b]
            tokens = self.encoder.tokenizer.convert_ids_to_tokens(enc["input_ids"][b][valid].tolist())
            keep = valid.tolist()
            wm = word_map(texts[b], tokens, [w for w, v in zip(enc.word_ids(b), keep) if v],
                          enc["offset_mapping"][b][valid].tolist(), enc["special_tokens_mask"][b][valid].tolist(),
                          [s for s, v in zip(enc.sequence_ids(b), keep) if v])
            sigma = result.sigma(self.scale)[:, b, valid].numpy().astype(float)
            # a word the solver put at the bound is exactly there (not float32's rounding of it): 0 bits kept
            sigma[result.log_sigma[:, b, valid].numpy() >= math.log(self.scale) - 1e-6] = self.scale
            out.append(SentenceResult(
                word_map=wm, sigma=sigma,
                steps=result.steps[:, b].numpy(), converged=result.converged[:, b].numpy(),
                sigma_se=result.log_sigma_se[:, b, valid].numpy().astype(float),
                prediction=None if logits is None else int(logits[b].argmax(-1))))
        return out

    def explanation(self, texts: list, results: list[SentenceResult]) -> Explanation:
        """The :class:`Explanation` of ``texts`` (strings or sentence pairs) from what ``run`` gave for each."""
        firsts, seconds = split(texts)
        return Explanation(model=self.encoder.name, target=self.targets[0].kind, layers=[t.label for t in self.targets],
                           texts=firsts, pairs=seconds or [], word_maps=[r.word_map for r in results],
                           sigma=[r.sigma for r in results], width=self.encoder.width, scale=self.scale,
                           steps=[r.steps for r in results], converged=[r.converged for r in results],
                           settings=self.settings, sigma_se=[r.sigma_se for r in results])
