"""Sequence-to-sequence models for the reverse task: an LSTM encoder-decoder with attention and a Transformer.

The input is ``[CLS] w_1 ... w_n [SEP]``; the output has ``n`` steps, step ``j``
being ``w_{n-j+1}``. The decoders are fed a learned embedding of the step number
``j`` (not their previous output): the reverse of a sequence is a deterministic
function of it, so nothing is lost, and the decoder's state at step ``j`` is then a
function of the input word embeddings alone. That is what gets explained: how much
the state at step ``j`` keeps of each input word (the truth: only of ``w_{n-j+1}``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import NativeModel
from .blocks import DecoderBlock, EncoderBlock, masked_mean, run_lstm

SPECIALS = 2          # [CLS] and [SEP] around the words


class Seq2Seq(NativeModel):
    """Shared by the two: embeddings, ``forward(ids, mask, steps) -> logits [N, steps, V]``."""
    family = "seq2seq"

    def __init__(self, config: dict):
        super().__init__(config)
        self.embedding = nn.Embedding(config["vocab_size"], config["embedding_dim"], padding_idx=config.get("pad_id"))
        self.drop = nn.Dropout(config.get("dropout", 0.1))

    @property
    def decoder_layers(self) -> int:
        raise NotImplementedError

    @staticmethod
    def output_lengths(mask: torch.Tensor) -> torch.Tensor:
        """Steps of output per sequence: its number of words."""
        return mask.sum(1) - SPECIALS

    def decode(self, memory: torch.Tensor, mask: torch.Tensor, steps: int) -> list[torch.Tensor]:
        """Every decoder layer's states ``[N, steps, D]``, the last one the state the output is read from."""
        raise NotImplementedError

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, steps: int | None = None):
        mask = attention_mask.bool()
        steps = int(self.output_lengths(mask).max()) if steps is None else steps
        return self.project(self.decode(self.encode(input_ids, mask), mask, steps)[-1])


class LSTMSeq2Seq(Seq2Seq):
    """A biLSTM encoder and an LSTM decoder with Luong (general) attention and input feeding.

    Decoder layers, for explaining: 1 = the LSTM's hidden state ``h_j``, 2 = the attentional
    state ``tanh(W [c_j; h_j])`` that the output is read from.
    """
    arch = "lstm"

    def __init__(self, config: dict):
        super().__init__(config)
        c = config
        h = c["hidden"]
        widths = [c["embedding_dim"]] + [2 * h] * c["layers"]
        self.stack = nn.ModuleList(nn.LSTM(widths[i], h, batch_first=True, bidirectional=True)
                                   for i in range(c["layers"]))
        d = 2 * h
        self.steps = nn.Embedding(c.get("max_steps", 64), d)
        self.init = nn.Linear(d, 2 * d)
        self.cell = nn.LSTMCell(2 * d, d)
        self.score = nn.Linear(d, d, bias=False)
        self.combine = nn.Linear(2 * d, d)
        self.out = nn.Linear(d, c["vocab_size"])

    @property
    def decoder_layers(self) -> int:
        return 2

    def start(self, x, mask):
        return self.drop(x)

    def layer(self, i, h, mask):
        out = run_lstm(self.stack[i], h, mask)
        return self.drop(out) if i < self.num_layers - 1 else out

    def decode(self, memory, mask, steps):
        n = memory.shape[0]
        h, c = torch.tanh(self.init(masked_mean(memory, mask))).chunk(2, dim=-1)
        feed = torch.zeros_like(h)
        keys = self.score(memory)                                           # [N, n, D]
        hidden, attentional = [], []
        for j in range(steps):
            step = self.steps(torch.full((n,), j, dtype=torch.long, device=memory.device))
            h, c = self.cell(torch.cat([step, feed], -1), (h, c))
            scores = torch.einsum("nd,nkd->nk", h, keys).masked_fill(~mask, float("-inf"))
            context = torch.einsum("nk,nkd->nd", F.softmax(scores, -1), memory)
            feed = torch.tanh(self.combine(torch.cat([context, h], -1)))
            hidden.append(h)
            attentional.append(feed)
            feed = self.drop(feed)
        return [torch.stack(hidden, 1), torch.stack(attentional, 1)]

    def project(self, state):
        return self.out(self.drop(state))


class TransformerSeq2Seq(Seq2Seq):
    """A Transformer encoder and decoder (post-LN); the decoder's queries are step embeddings."""
    arch = "transformer"

    def __init__(self, config: dict):
        super().__init__(config)
        c = config
        d = c["dim"]
        self.project_in = nn.Linear(c["embedding_dim"], d) if d != c["embedding_dim"] else nn.Identity()
        self.positions = nn.Embedding(c.get("max_length", 64), d)
        self.norm = nn.LayerNorm(d)
        self.stack = nn.ModuleList(EncoderBlock(d, c["heads"], c["ff"], c.get("dropout", 0.1))
                                   for _ in range(c["layers"]))
        self.steps = nn.Embedding(c.get("max_steps", 64), d)
        self.step_norm = nn.LayerNorm(d)
        self.decoder = nn.ModuleList(DecoderBlock(d, c["heads"], c["ff"], c.get("dropout", 0.1))
                                     for _ in range(c["decoder_layers"]))
        self.out = nn.Linear(d, c["vocab_size"])

    @property
    def decoder_layers(self) -> int:
        return len(self.decoder)

    def start(self, x, mask):
        pos = self.positions(torch.arange(x.shape[1], device=x.device))
        return self.drop(self.norm(self.project_in(x) + pos))

    def layer(self, i, h, mask):
        return self.stack[i](h, mask)

    def decode(self, memory, mask, steps):
        q = self.steps(torch.arange(steps, device=memory.device))[None].expand(memory.shape[0], -1, -1)
        h = self.drop(self.step_norm(q))
        states = []
        for block in self.decoder:
            h = block(h, memory, mask)
            states.append(h)
        return states

    def project(self, state):
        return self.out(state)


SEQ2SEQ = {cls.arch: cls for cls in (LSTMSeq2Seq, TransformerSeq2Seq)}
