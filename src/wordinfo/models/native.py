"""Adapter for the native models: the interface ``wordinfo.explain`` uses, as for Hugging Face encoders.

The perturbed input ``x`` is the word-piece (token) embeddings, one ``K``-vector per
token, before anything else (positions, projections) is added: the same input
space for the Transformer, the LSTM and the CNN, so that their layers compare.

Targets (``--target``), each for the chosen ``--layers``:

* ``tokens``: a layer's token states ``[n, H]`` (every family);
* ``cls``: a layer's state of the first token, ``[CLS]`` (the Transformer classifier);
* ``step:J``: a layer's state at token position ``J`` (LSTM classifier; 0 is ``[CLS]``,
  1 the first word piece, -1 the last token ``[SEP]``): what the LSTM holds after
  reading the sentence up to ``J`` (a biLSTM: forward and backward states joined);
* ``sentence``: the pooled sentence representation the head reads (classifiers; no layers);
* ``logits``: the classifier's output (classifiers; no layers);
* ``decoder:J``: a decoder layer's state at output step ``J`` (1-based; seq2seq models).
  Ground truth on the reverse task: it should keep input word ``n - J + 1`` only.
  ``--layers`` then counts decoder layers (LSTM: 1 = the LSTM state, 2 = the attentional
  state the output is read from);
* ``logits:J``: the seq2seq model's scores over its vocabulary at output step ``J`` (no
  layers): the last decoder layer's state there, projected.

The vocabulary (parsing, layer numbers, labels) is :mod:`wordinfo.models.targets`'.

Several targets run in one pass: the noisy copy meant for layer ``l`` leaves the
stack at ``l``, as in the Hugging Face adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..errors import WordinfoError
from .encoder import Encoder, math_attention
from .targets import Target, parse_kind, parse_layers

TARGET_HELP = {
    "classifier": "tokens, sentence, logits; cls (transformer); step:J (lstm, token position J, -1 = last)",
    "seq2seq": "tokens (encoder layers), decoder:J (decoder state at output step J, 1-based), "
               "logits:J (the scores at output step J)",
}


class NativeEncoder(Encoder):
    """Exposes a native model as word embeddings, a stack of layers and readouts, for ``explain``."""

    input_name = "token embeddings (before positions)"
    takes_pairs = False         # trained on single sentences (SST-2, CoLA, the reverse task)
    starts_above_input = True   # from_layer A: x is layer A's output, the stack runs on from layer A + 1

    def __init__(self, model, tokenizer, name: str = "model", calibration_file: str | None = None):
        super().__init__(model, tokenizer, name)
        self.calibration_file = calibration_file
        self.closed_vocabulary = model.family == "seq2seq"     # synthetic words: [UNK] is an error, not a word

    # ---- description
    @property
    def num_layers(self) -> int:
        return self.model.num_layers

    @property
    def word_embeddings(self) -> torch.Tensor:
        return self.model.embedding.weight

    @property
    def position_limit(self) -> int:
        return self.model.max_length

    def targets(self, layers="all", kind: str = "tokens") -> list[Target]:
        m = self.model
        allowed = {"classifier": ("tokens", "sentence", "logits") + (("cls",) if m.arch == "transformer" else ())
                   + (("step:J",) if m.arch == "lstm" else ()),
                   "seq2seq": ("tokens", "decoder:J", "logits:J")}[m.family]
        base, colon, _ = str(kind).partition(":")
        logits_form_wrong = base == "logits" and (m.family == "seq2seq") != bool(colon)   # logits:J vs logits
        if base not in {a.split(":")[0] for a in allowed} or logits_form_wrong:
            raise WordinfoError(f"target {kind!r} does not apply to a {m.arch} {m.family}: use "
                                + TARGET_HELP[m.family])
        base, j = parse_kind(kind, allowed)
        kind = base if j is None else f"{base}:{j}"
        if base in ("sentence", "logits"):
            return [Target(kind, None)]
        if base == "decoder":           # decoder layers: all above any encoder layer
            return [Target(kind, layer) for layer in parse_layers(layers, m.decoder_layers)]
        return [Target(kind, layer) for layer in parse_layers(layers, m.num_layers, self.from_layer)]

    # ---- inputs
    def tokenize(self, texts: Sequence[str], truncate: bool = False):
        """As for every encoder; with a closed vocabulary (the reverse task) an unknown word is an error."""
        enc = super().tokenize(texts, truncate)
        unk = self.tokenizer.unk_token_id
        if self.closed_vocabulary and unk is not None and bool((enc["input_ids"] == unk).any()):
            b, pos = (enc["input_ids"] == unk).nonzero()[0].tolist()
            start, end = enc["offset_mapping"][b][pos].tolist()
            raise WordinfoError(f"word {texts[b][start:end]!r} is not in this model's vocabulary "
                                f"({self.vocabulary_hint()})")
        return enc

    def vocabulary_hint(self) -> str:
        words = [w for w in self.tokenizer.get_vocab() if w not in self.tokenizer.all_special_tokens]
        words.sort(key=lambda w: (len(w), w))
        return f"{len(words)} words: {' '.join(words[:3])} ... {words[-1]}" if words else "empty"

    @torch.no_grad()
    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model.embedding(input_ids)

    # ---- the function to explain
    def forward(self, xs: torch.Tensor, mask: torch.Tensor, targets: Sequence[Target]) -> list[torch.Tensor]:
        """``xs [T, N, n, K]`` (one noisy input per target) -> the T targets' outputs."""
        with math_attention(xs.device):
            return self._forward(xs, mask, targets, strict=True)

    def clean_outputs(self, x, mask, targets):
        """Outputs at the clean input. A ``step:J`` past a (calibration) sentence's end reads its last token."""
        with torch.no_grad():
            return self._forward(x[None].expand(len(targets), *x.shape), mask, targets, strict=False)

    def _forward(self, xs, mask, targets, strict: bool):
        m = self.model
        lengths = mask.sum(1)
        for t in targets:
            if strict and t.base == "step" and not bool(((t.index < lengths) & (t.index >= -lengths)).all()):
                raise WordinfoError(f"target {t.kind} is past the end of a text of {int(lengths.min())} tokens "
                                    f"(positions 0..{int(lengths.min()) - 1}, or -1 for the last)")
            if strict and t.base in ("decoder", "logits") and t.index is not None \
                    and not bool((t.index <= m.output_lengths(mask)).all()):
                raise WordinfoError(f"target {t.kind} is past the end of the output: a text of "
                                    f"{int(m.output_lengths(mask).min())} words has that many output steps")
        # how deep into the (encoder) stack each copy must go
        depth = [t.layer if t.base in ("tokens", "cls", "step") else m.num_layers for t in targets]
        n_copies = xs.shape[1]
        # x is the stack's input (word vectors, positions added by start) or layer from_layer's output
        chunks = {i: xs[i] if self.from_layer else m.start(xs[i], mask) for i in range(len(targets))}
        outputs: list = [None] * len(targets)
        decoder_inputs = {}
        for d in range(self.from_layer + 1, max(depth) + 1):
            order = sorted(chunks)
            hidden = m.layer(d - 1, torch.cat([chunks[i] for i in order]), mask.repeat(len(order), 1))
            for j, i in enumerate(order):
                chunks[i] = hidden[j * n_copies:(j + 1) * n_copies]
                if depth[i] == d:
                    state = chunks.pop(i)
                    if targets[i].base == "decoder" or _is_step_logits(targets[i]):
                        decoder_inputs[i] = state
                    else:
                        outputs[i] = self._read(targets[i], state, mask, lengths)
        if decoder_inputs:
            order = sorted(decoder_inputs)
            steps = max(targets[i].index for i in order)
            memory = torch.cat([decoder_inputs[i] for i in order])
            states = m.decode(memory, mask.repeat(len(order), 1), steps)
            for j, i in enumerate(order):
                t = targets[i]
                layer = m.decoder_layers if t.layer is None else t.layer      # logits:J reads the last one
                out = states[layer - 1][j * n_copies:(j + 1) * n_copies, t.index - 1]
                outputs[i] = m.project(out) if _is_step_logits(t) else out
        return outputs

    def states_at(self, x, mask):
        """The clean output of layer ``from_layer`` for the word embeddings ``x``."""
        h = self.model.start(x, mask)
        for i in range(self.from_layer):
            h = self.model.layer(i, h, mask)
        return h

    @property
    def state_width(self) -> int:
        """The size of layer ``from_layer``'s state (an LSTM's both directions, a CNN's channels), from one pass."""
        with torch.no_grad():
            x = torch.zeros(1, 1, self.word_embeddings.shape[1], device=self.device)
            return int(self.states_at(x, torch.ones(1, 1, dtype=torch.bool, device=self.device)).shape[-1])

    def _read(self, t: Target, state, mask, lengths):
        if t.base == "tokens":
            return state
        if t.base == "cls":
            return state[:, 0]
        if t.base == "step":
            pos = torch.full_like(lengths, t.index) if t.index >= 0 else lengths + t.index
            pos = torch.minimum(pos.clamp_min(0), lengths - 1)
            return state[torch.arange(state.shape[0], device=state.device), pos]
        sentence = self.model.pool(state, mask)
        return sentence if t.base == "sentence" else self.model.head(sentence)


def _is_step_logits(t: Target) -> bool:
    return t.base == "logits" and t.index is not None
