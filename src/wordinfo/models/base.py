"""What every native model (the project's own Transformer, LSTM, CNN and seq2seq models) exposes.

A native model is word embeddings, then a stack of layers, then a readout. The
adapter (``models/native.py``) explains it by perturbing the word embeddings and
reading any layer's state, so each model offers its stack one layer at a time:

* ``start(x, mask)``: the stack's input from the word embeddings ``x [N, n, K]``
  (adds positions, for instance);
* ``layer(i, h, mask)``: layer ``i`` (0-based) of the stack, ``[N, n, H_in] -> [N, n, H]``;
* classifiers: ``pool(h, mask)`` (the sentence representation) and ``head(sentence)`` (logits);
* seq2seq models: ``decode(memory, mask, steps)`` (every decoder layer's states) and
  ``project(state)`` (logits over the vocabulary).

``config`` holds the constructor's arguments, so that a checkpoint rebuilds the model
from JSON alone.
"""

from __future__ import annotations

import torch
from torch import nn


class NativeModel(nn.Module):
    family = ""            # 'classifier' or 'seq2seq'
    arch = ""              # 'transformer', 'lstm' or 'cnn'

    def __init__(self, config: dict):
        super().__init__()
        self.config = dict(config)

    @property
    def num_layers(self) -> int:
        return len(self.stack)

    @property
    def width(self) -> int:
        """K: the size of one word embedding, the perturbed input."""
        return int(self.embedding.weight.shape[1])

    @property
    def max_length(self) -> int:
        return int(self.config.get("max_length", 512))

    def start(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return x

    def layer(self, i: int, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def encode(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last layer's token states for token ids: embeddings, then the whole stack."""
        h = self.start(self.embedding(input_ids), mask)
        for i in range(self.num_layers):
            h = self.layer(i, h, mask)
        return h

    def describe(self) -> str:
        """One line for logs and docs: the family, the arch and the size."""
        params = sum(p.numel() for p in self.parameters())
        return f"{self.arch} {self.family}, {self.num_layers} layers, {params / 1e6:.1f}M parameters"
