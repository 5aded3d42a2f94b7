"""wordinfo itself, as one more method: information kept about each word, in bits."""

from __future__ import annotations

from .. import objective as obj
from .base import Method


class Wordinfo(Method):
    """``K log2(scale / sigma_i)``: the information a target keeps about word ``i`` (Guan et al., 2019),
    the words' pieces added. sigma_S is the targets' std over the evaluation sentences, the
    statistics every other method uses. ``solver`` and its options as in :func:`wordinfo.explain`."""
    name = "wordinfo"
    stochastic = True

    def __init__(self, solver: str = "default", lam: float = 0.1, **options):
        from ..estimator import check_solver
        check_solver(solver, options)
        self.solver, self.lam, self.options = solver, float(lam), options

    def token_scores(self, ctx, sentence, targets, seed):
        from ..explainer import Job
        scale = ctx.encoder.default_scale()
        settings = {"lam": self.lam, "scale": scale, "solver": self.solver, "feature_std": "evaluation sentences",
                    **self.options}
        job = Job(encoder=ctx.encoder, targets=list(targets), feature_stds=[ctx.stats(t)[1] for t in targets],
                  lam=self.lam, scale=scale, seed=seed, solver=self.solver, truncate=True,
                  options=dict(self.options), settings=settings)
        problem, _ = job.problem([sentence.text])
        if tuple(problem.x.shape) != tuple(sentence.x.shape):
            raise RuntimeError("wordinfo tokenised the sentence differently from the evaluation")
        sigma = job.solve(problem).sigma(scale)[:, 0]                 # [targets, tokens]
        return obj.retained_bits(sigma, scale, ctx.encoder.width).numpy()
