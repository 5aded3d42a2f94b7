"""Sentence classifiers trained from scratch: a Transformer encoder, a (bi)LSTM and a CNN.

All three read the same input, one word-piece embedding per token (``K`` wide; by
default MiniLM's 384-d WordPiece embeddings, see ``training/``), so that their
layers can be explained on the same input space and compared. Each has a stack of
layers whose token states can be explained, a pooled sentence representation and
a linear head.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import NativeModel
from .blocks import EncoderBlock, last_state, masked_max, masked_mean, run_lstm

POOLS = {"mean": masked_mean, "max": masked_max, "last": last_state,
         "cls": lambda h, mask: h[:, 0]}


class Classifier(NativeModel):
    """Shared by the three: embeddings, pooling, a linear head, and ``forward(ids, mask) -> logits``."""
    family = "classifier"

    def __init__(self, config: dict):
        super().__init__(config)
        if config.get("pool", "mean") not in POOLS:
            raise ValueError(f"unknown pooling {config['pool']!r}: use one of {', '.join(POOLS)}")
        self.embedding = nn.Embedding(config["vocab_size"], config["embedding_dim"], padding_idx=config.get("pad_id"))
        self.drop = nn.Dropout(config.get("dropout", 0.1))

    def build_head(self, width: int) -> None:
        self.classifier = nn.Linear(width, self.config["num_labels"])

    def pool(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The sentence representation the head reads."""
        return POOLS[self.config.get("pool", "mean")](h, mask)

    def head(self, sentence: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.drop(sentence))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.bool()
        return self.head(self.pool(self.encode(input_ids, mask), mask))


class TransformerClassifier(Classifier):
    """A BERT-like encoder trained from scratch: projection to ``dim``, learned positions, post-LN blocks."""
    arch = "transformer"

    def __init__(self, config: dict):
        super().__init__(config)
        c = config
        self.project = nn.Linear(c["embedding_dim"], c["dim"]) if c["dim"] != c["embedding_dim"] else nn.Identity()
        self.positions = nn.Embedding(c.get("max_length", 512), c["dim"])
        nn.init.normal_(self.positions.weight, std=0.02)   # as in BERT: N(0, 1) would drown the projected words
        self.norm = nn.LayerNorm(c["dim"])
        self.stack = nn.ModuleList(EncoderBlock(c["dim"], c["heads"], c["ff"], c.get("dropout", 0.1))
                                   for _ in range(c["layers"]))
        self.build_head(c["dim"])

    def start(self, x, mask):
        pos = self.positions(torch.arange(x.shape[1], device=x.device))
        return self.drop(self.norm(self.project(x) + pos))

    def layer(self, i, h, mask):
        return self.stack[i](h, mask)


class LSTMClassifier(Classifier):
    """Stacked (bi)LSTM layers, one ``nn.LSTM`` each so that every layer's states can be read."""
    arch = "lstm"

    def __init__(self, config: dict):
        super().__init__(config)
        c = config
        directions = 2 if c.get("bidirectional", True) else 1
        widths = [c["embedding_dim"]] + [c["hidden"] * directions] * c["layers"]
        self.stack = nn.ModuleList(nn.LSTM(widths[i], c["hidden"], batch_first=True,
                                           bidirectional=directions == 2) for i in range(c["layers"]))
        self.build_head(widths[-1])

    def start(self, x, mask):
        return self.drop(x)

    def layer(self, i, h, mask):
        out = run_lstm(self.stack[i], h, mask)
        return self.drop(out) if i < self.num_layers - 1 else out


class CNNClassifier(Classifier):
    """Stacked 1-d convolutions over tokens ('same' padding, ReLU); padded positions are zeroed between layers."""
    arch = "cnn"

    def __init__(self, config: dict):
        super().__init__(config)
        c = config
        k = c.get("kernel", 3)
        if k % 2 == 0:
            raise ValueError(f"kernel size must be odd to keep one output per token, got {k}")
        widths = [c["embedding_dim"]] + [c["channels"]] * c["layers"]
        self.stack = nn.ModuleList(nn.Conv1d(widths[i], widths[i + 1], k, padding=k // 2)
                                   for i in range(c["layers"]))
        self.build_head(widths[-1])

    def start(self, x, mask):
        return self.drop(x)

    def layer(self, i, h, mask):
        h = h.masked_fill(~mask[..., None], 0.0)            # padding reads as the conv's own zero padding
        out = torch.relu(self.stack[i](h.transpose(1, 2))).transpose(1, 2)
        out = out.masked_fill(~mask[..., None], 0.0)
        return self.drop(out) if i < self.num_layers - 1 else out


CLASSIFIERS = {cls.arch: cls for cls in (TransformerClassifier, LSTMClassifier, CNNClassifier)}
