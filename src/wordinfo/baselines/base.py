"""What every explanation method shares: the model under test (``Context``), one sentence
(``Sentence``) and the ``Method`` interface.

Every method works on wordinfo's encoder interface (``tokenize``, ``embed``,
``forward(xs, mask, targets)``): it explains a function of the input word vectors
``x`` (for a Transformer, the embedding block's output, the same ``x`` wordinfo
perturbs), so any model wordinfo can explain can be compared. Token scores become
word scores through wordinfo's own :class:`~wordinfo.words.WordMap` (pieces add up),
and special tokens ([CLS], [SEP]) are left out of every ranking.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import WordinfoError
from ..models.encoder import embed_texts
from ..words import WordMap, word_map


@dataclass
class Sentence:
    """One sentence, ready for every method."""
    text: str
    input_ids: torch.Tensor      # [1, n]
    x: torch.Tensor              # [1, n, K] the input word vectors
    mask: torch.Tensor           # [1, n] bool
    reference: torch.Tensor      # [1, n, K] x with every word's tokens replaced by the deletion token
    word_map: WordMap

    @property
    def n_tokens(self) -> int:
        return int(self.x.shape[1])

    @property
    def words(self) -> list[int]:
        """Indices (into ``word_map.words``) of the real words: special tokens left out."""
        return [w for w, s in enumerate(self.word_map.special) if not s]

    @property
    def token_word(self) -> torch.Tensor:
        return torch.tensor(self.word_map.token_word)

    def word_tokens(self, w: int) -> list[int]:
        return [t for t, tw in enumerate(self.word_map.token_word) if tw == w]

    def replace_words(self, keep: np.ndarray) -> torch.Tensor:
        """``[V, n, K]`` inputs: variant ``v`` keeps word ``j`` (``keep[v, j]``, over ``words``) and puts
        the reference (deletion token) in place of every other word; special tokens always stay."""
        keep = np.asarray(keep, dtype=bool).reshape(-1, len(self.words))
        token_keep = np.ones((keep.shape[0], self.n_tokens), dtype=bool)
        for j, w in enumerate(self.words):
            token_keep[:, self.word_tokens(w)] = keep[:, [j]]
        tk = torch.from_numpy(token_keep)[..., None]
        return torch.where(tk, self.x.expand(len(tk), -1, -1), self.reference.expand(len(tk), -1, -1))


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
        self.delete_id = _deletion_token(encoder.tokenizer)
        with self.frozen():
            self._stats = _moments(self, self.texts)
        self.cache: dict = {}          # per-model state a method may keep (e.g. wordinfo's jobs)

    def frozen(self):
        frozen = getattr(self.encoder, "frozen", None)
        return frozen() if frozen is not None else contextlib.nullcontext()

    def targets_for(self, sentence: Sentence) -> list:
        """Every target of one sentence: the model's, then one per output step (sequence-to-sequence)."""
        if self.step_kind is None:
            return list(self.targets)
        steps = [t for j in range(1, len(sentence.words) + 1) for t in self.encoder.targets(None, f"{self.step_kind}:{j}")]
        return self.targets + steps

    def truth(self, sentence: Sentence, target) -> int | None:
        """The word (index into ``sentence.words``) output step ``J`` copies on the reverse task: ``n - J``."""
        index = getattr(target, "index", None)
        if self.step_kind is None or index is None or not str(target.kind).startswith(self.step_kind):
            return None
        return len(sentence.words) - index

    def stats(self, target) -> tuple[torch.Tensor, torch.Tensor]:
        """Element-wise (mean, std) of a target's output over the evaluation sentences."""
        return self._stats[stat_key(target)]

    @property
    def input_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self._stats["input"]

    @property
    def layer_targets(self) -> list:
        return [t for t in self.targets if not is_prediction(t)]

    @property
    def prediction_targets(self) -> list:
        return [t for t in self.targets if is_prediction(t)]

    def sentence(self, text: str) -> Sentence:
        enc = self.encoder.tokenize([text], truncate=True)
        ids = enc["input_ids"]
        mask = enc["attention_mask"].bool()
        special = enc["special_tokens_mask"][0].bool()
        ref_ids = torch.where(special | ~mask[0], ids[0], torch.full_like(ids[0], self.delete_id))[None]
        with torch.no_grad():
            x = self.encoder.embed(ids).detach()
            reference = self.encoder.embed(ref_ids).detach()
        tokens = self.encoder.tokenizer.convert_ids_to_tokens(ids[0].tolist())
        wm = word_map(text, tokens, enc.word_ids(0), enc["offset_mapping"][0].tolist(),
                      enc["special_tokens_mask"][0].tolist())
        sent = Sentence(text, ids, x, mask, reference, wm)
        if not sent.words:
            raise WordinfoError(f"no word to explain in {text!r}")
        return sent

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


@dataclass
class Scores:
    """One method's word scores for one sentence: ``values[t, j]`` for target ``t`` and real word ``j``."""
    values: np.ndarray           # [targets, words]; NaN where the method does not apply
    seconds: float               # wall time; info['cpu_seconds']: the process's CPU time (all its threads)
    info: dict = field(default_factory=dict)


class Method:
    """An explanation method: word scores (higher = more important) for every target of a sentence.

    Subclasses set ``name`` and ``stochastic`` and implement ``token_scores``; ``unsupported``
    says why a target (or the whole model) cannot be explained, or returns None.
    """
    name = "method"
    stochastic = False           # results depend on a seed: coherency across seeds applies
    token_level = True           # token_scores add up to word scores (False: every token holds its word's score)

    def unsupported(self, ctx: Context, target) -> str | None:
        return None

    def token_scores(self, ctx: Context, sentence: Sentence, targets: list, seed: int) -> np.ndarray:
        """``[len(targets), n_tokens]`` scores."""
        raise NotImplementedError

    def explain(self, ctx: Context, sentence: Sentence, seed: int = 0) -> Scores:
        """Word scores for every target of the sentence (``ctx.targets_for``) this method supports
        (NaN rows for the others), timed."""
        targets = ctx.targets_for(sentence)
        chosen = [t for t in targets if self.unsupported(ctx, t) is None]
        values = np.full((len(targets), len(sentence.words)), np.nan)
        start, cpu = time.perf_counter(), time.process_time()
        if chosen:
            torch.manual_seed(seed)
            with ctx.frozen():
                tokens = np.asarray(self.token_scores(ctx, sentence, chosen, seed), dtype=float)
            words = to_words(sentence, tokens, self.token_level)
            for row, t in zip(words, chosen):
                values[targets.index(t)] = row
        return Scores(values, time.perf_counter() - start,
                      {"targets": len(chosen), "cpu_seconds": time.process_time() - cpu})


def to_words(sentence: Sentence, token_scores: np.ndarray, token_level: bool = True) -> np.ndarray:
    """Token scores ``[..., n_tokens]`` -> real-word scores ``[..., words]`` with wordinfo's WordMap.

    Token-level scores add up over a word's pieces (as wordinfo's entropies do); word-level
    scores (every piece holds its word's value, e.g. erasure) are averaged instead.
    """
    wm = sentence.word_map
    merged = wm.merge(token_scores)
    if not token_level:
        merged = merged / wm.merge(np.ones(len(wm.tokens)))
    return merged[..., sentence.words]


def is_prediction(target) -> bool:
    """Targets that are a prediction (class or token scores), explained through their top class."""
    return "logits" in str(getattr(target, "kind", ""))


def _deletion_token(tokenizer) -> int:
    """The token that stands in for a deleted word: [MASK], else padding, else unknown."""
    for name in ("mask_token_id", "pad_token_id", "unk_token_id"):
        tid = getattr(tokenizer, name, None)
        if tid is not None:
            return int(tid)
    raise WordinfoError("the tokenizer has no [MASK], padding or unknown token to delete words with")


def stat_key(target):
    """Targets that share statistics: output steps of one kind and layer pool together."""
    kind = str(getattr(target, "kind", target))
    return kind.split(":")[0], getattr(target, "layer", None)


@torch.no_grad()
def _moments(ctx: Context, texts: list[str], batch: int = 16) -> dict:
    """Element-wise mean and std of the input vectors and of each target's output over ``texts``
    (token positions and output steps pooled, as wordinfo's sigma_S), floored as wordinfo floors it."""
    encoder = ctx.encoder
    sums: dict = {}

    def add(key, rows):
        rows = rows.double().reshape(-1, *rows.shape[1:])
        s, q, c = sums.get(key, (0.0, 0.0, 0))
        sums[key] = (s + rows.sum(0), q + rows.pow(2).sum(0), c + rows.shape[0])

    def pool(out, mask):
        return out[mask] if out.dim() >= 3 else out          # [N, n, H] token states: pool positions

    for start in range(0, len(texts), batch):
        _, mask, x = embed_texts(encoder, texts[start:start + batch], truncate=True)
        add("input", x[mask])
        if ctx.targets:
            outs = encoder.forward(x[None].expand(len(ctx.targets), *x.shape), mask, ctx.targets)
            for t, out in zip(ctx.targets, outs):
                add(stat_key(t), pool(out, mask))
    if ctx.step_kind is not None:                             # one sentence at a time: steps differ in number
        for text in texts:
            sentence = ctx.sentence(text)
            steps = ctx.targets_for(sentence)[len(ctx.targets):]
            outs = ctx.outputs(sentence.x[None].expand(len(steps), -1, -1, -1), sentence.mask, steps)
            for t, out in zip(steps, outs):
                add(stat_key(t), pool(out, sentence.mask))
    stats = {}
    for key, (s, q, c) in sums.items():
        mean = s / c
        std = (q / c - mean.pow(2)).clamp_min(0).sqrt() * (c / max(c - 1, 1)) ** 0.5
        stats[key] = (mean.float(), std.clamp_min(1e-3 * float(std.mean()) + 1e-12).float())
    return stats
