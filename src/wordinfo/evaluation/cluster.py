"""The evaluation on a Ray cluster (:mod:`wordinfo.cluster`): one actor per worker slot holds the model, its
context and the methods, and evaluates whole sentences (:func:`wordinfo.evaluation.sentence.evaluate_sentence`).

The driver alone stores the records (``out/records``), as they arrive in any order, so a
resumed evaluation, with or without Ray, continues from the same records. The model is
loaded again on each actor by name or path (the same path on every node) and its weights'
fingerprint checked against the driver's.
"""

from __future__ import annotations

from pathlib import Path

from ..cluster import OnRay, node, passed_env
from ..errors import WordinfoError
from .sentence import evaluate_sentence


class RaySentences(OnRay):
    """``map(indices)`` yields ``(i, record)`` for each sentence as the actors finish it (a context manager)."""

    def __init__(self, model, texts, layers, methods, options: dict, seeds: int, seed_sentences: int, ray_option,
                 workers: int | None, fingerprint: str | None, log=None):
        model = str(Path(model).resolve()) if Path(str(model)).exists() else str(model)
        self.args = (model, list(texts), layers, methods, options, seeds, seed_sentences, fingerprint, passed_env())
        self.texts, self.workers = texts, workers
        super().__init__(ray_option, log)

    def start_actors(self) -> None:
        self.cluster.start(SentenceEvaluator, self.args, self.workers, what="the model and the methods")

    def map(self, indices):
        return self.cluster.map("evaluate", indices, lambda i: f"sentence {i}")


class SentenceEvaluator:
    """A Ray actor: the evaluation's context and methods built once, then sentences evaluated."""

    def __init__(self, model: str, texts: list, layers, methods, options: dict, seeds: int, seed_sentences: int,
                 fingerprint: str | None, env: dict):
        import os
        os.environ.update(env)
        import torch

        from ..baselines import make_methods
        from .tasks import load_context
        torch.set_num_threads(1)
        self.ctx = load_context(model, texts, layers)
        self.methods = make_methods(methods, **options)
        self.texts, self.seeds, self.seed_sentences = texts, seeds, seed_sentences
        have = getattr(self.ctx.encoder, "fingerprint", None)
        if fingerprint is not None and callable(have) and have() != fingerprint:
            raise WordinfoError(f"the model {model!r} on this node has other weights than the driver's: "
                                "give every node the same copy")

    def ready(self) -> tuple[str, str]:
        return node()

    def evaluate(self, i: int) -> dict:
        return evaluate_sentence(self.ctx, self.methods, i, self.texts[i], self.seeds, self.seed_sentences)
