"""wordinfo itself, as one more method: information kept about each word, in bits."""

from __future__ import annotations

from .. import objective as obj
from .base import Method


class Wordinfo(Method):
    """``K log2(scale / sigma_i)``: the information a target keeps about word ``i`` (Guan et al., 2019),
    the words' pieces added. sigma_S is the targets' std over the evaluation sentences, the
    statistics every other method uses. ``solver``, ``dtype`` and the solver's options as in
    :func:`wordinfo.explain` (``dtype='auto'``, its default: bfloat16 noisy passes where the CPU
    or GPU runs them fast, else float32)."""
    name = "wordinfo"
    stochastic = True

    def __init__(self, solver: str = "default", lam: float = 0.1, dtype: str = "auto", **options):
        from ..device import compute_dtype
        from ..solvers.registry import check_solver
        check_solver(solver, options)
        self.solver, self.lam, self.options = solver, float(lam), options
        self.dtype, self.compute_dtype = dtype, compute_dtype(dtype)

    def token_scores(self, ctx, sentence, targets, seed):
        from ..job import Job
        from ..settings import describe
        scale = ctx.encoder.default_scale()
        settings = describe(lam=self.lam, scale=scale, seed=seed, solver=self.solver, options=self.options,
                            feature_std="evaluation sentences",
                            dtype=str(self.compute_dtype or "float32").replace("torch.", ""))
        job = Job(encoder=ctx.encoder, targets=list(targets), feature_stds=[ctx.stats(t)[1] for t in targets],
                  truncate=True, options=dict(self.options), settings=settings, compute_dtype=self.compute_dtype)
        problem, _ = job.problem([sentence.text])
        if tuple(problem.x.shape) != tuple(sentence.x.shape):
            raise RuntimeError("wordinfo tokenised the sentence differently from the evaluation")
        sigma = job.solve(problem).sigma(scale)[:, 0]                 # [targets, tokens]
        return obj.retained_bits(sigma, scale, ctx.encoder.width).numpy()
