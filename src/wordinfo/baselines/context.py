"""The model under test, as every method sees it: ``Context``.

It composes the jobs the methods share, each in its own module: the model (the encoder
and the targets to explain, here), the sentence factory (:mod:`.sentence`), the
statistics over the evaluation sentences (:mod:`.statistics`) and, for the reverse task,
the truth (:func:`wordinfo.training.reverse.ground_truth`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch

from ..errors import WordinfoError
from ..training.reverse import ground_truth
from .sentence import Sentence, SentenceFactory
from .statistics import measure
from .targets import is_prediction, is_step


class Context:
    """The model under test: its encoder, the targets to explain and statistics every method shares.

    ``targets`` are the encoder's targets for every sentence (layer states, then the
    prediction if the model has one); ``step_kind`` (e.g. ``'logits'``) adds, per sentence,
    one target ``'<step_kind>:J'`` per output step ``J`` of a sequence-to-sequence model.
    ``texts`` (the evaluation sentences) give the element-wise mean and std of each target's
    output (token positions, and output steps, pooled) and of the input vectors: the
    baselines' normalisation, the information bottleneck's prior and wordinfo's sigma_S,
    all from the same sample.
    """

    def __init__(self, encoder, targets: Sequence, texts: Sequence[str], name: str | None = None,
                 step_kind: str | None = None, max_stat_texts: int = 200):
        self.encoder = encoder
        self.targets = list(targets)
        self.step_kind = step_kind
        self.name = name or getattr(encoder, "name", type(encoder).__name__)
        self.texts = list(texts)[:max_stat_texts]
        if len(self.texts) < 2:
            raise WordinfoError("need at least two sentences for the evaluation (statistics of the model's states)")
        self.sentences = SentenceFactory(encoder)
        with self.frozen():
            self.statistics = measure(encoder, self.targets, self.texts, self.sentence,
                                      self.step_targets if step_kind is not None else None)
        self.cache: dict = {}          # per-model state a method may keep (e.g. wordinfo's jobs)

    @property
    def delete_id(self) -> int:
        """The token id that stands in for a deleted word."""
        return self.sentences.delete_id

    def frozen(self):
        frozen = getattr(self.encoder, "frozen", None)
        return frozen() if frozen is not None else contextlib.nullcontext()

    def sentence(self, text: str) -> Sentence:
        """``text`` tokenised and embedded, with its reference and word map."""
        return self.sentences(text)

    # ---- the targets
    def step_targets(self, sentence: Sentence) -> list:
        """One target per output step of a sequence-to-sequence model (none without ``step_kind``)."""
        if self.step_kind is None:
            return []
        return [t for j in range(1, len(sentence.words) + 1)
                for t in self.encoder.targets(None, f"{self.step_kind}:{j}")]

    def targets_for(self, sentence: Sentence) -> list:
        """Every target of one sentence: the model's, then one per output step (sequence-to-sequence)."""
        return self.targets + self.step_targets(sentence)

    @property
    def layer_targets(self) -> list:
        return [t for t in self.targets if not is_prediction(t)]

    @property
    def prediction_targets(self) -> list:
        return [t for t in self.targets if is_prediction(t)]

    def truth(self, sentence: Sentence, target) -> int | None:
        """The word (index into ``sentence.words``) output step ``J`` copies on the reverse task, or None."""
        if self.step_kind is None or not is_step(target, self.step_kind):
            return None
        return ground_truth(len(sentence.words), target.index) - 1

    # ---- the statistics
    def stats(self, target) -> tuple[torch.Tensor, torch.Tensor]:
        """Element-wise (mean, std) of a target's output over the evaluation sentences."""
        return self.statistics.of(target)

    @property
    def input_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.statistics.input

    # ---- running the model
    def outputs(self, xs: torch.Tensor, mask: torch.Tensor, targets: Sequence) -> list[torch.Tensor]:
        """``xs [T, N, n, K]`` (one batch per target) -> each target's output ``[N, ...]``."""
        return self.encoder.forward(xs, mask.expand(xs.shape[1], -1), list(targets))

    def predict_proba(self, sentence: Sentence, inputs: torch.Tensor, target=None, chunk: int = 64) -> torch.Tensor:
        """Softmax of the prediction target for a batch of inputs ``[V, n, K]`` of one sentence."""
        target = target or self.prediction_targets[0]
        probs = []
        with torch.no_grad():
            for start in range(0, len(inputs), chunk):
                part = inputs[start:start + chunk]
                probs.append(self.outputs(part[None], sentence.mask, [target])[0].float().softmax(-1))
        return torch.cat(probs)
