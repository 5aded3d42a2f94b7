"""Adapter for Hugging Face encoders of the BERT family (BERT, MiniLM, RoBERTa, DistilBERT, ELECTRA...).

The input ``x`` that gets perturbed is the output of the embedding block (word +
position + segment embeddings after their LayerNorm), i.e. the input of the
first Transformer layer, as in the authors' BERT tutorial.

Layer targets are explained in one pass: the noisy copy meant for layer ``l``
runs through layers ``1..l`` and then leaves the batch, so explaining all ``L``
layers costs ``L(L+1)/2`` layer evaluations per sample instead of ``L^2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..errors import WordinfoError
from .encoder import Encoder, forward_params, in_weights_dtype, math_attention
from .targets import Target, parse_kind, parse_layers


class HuggingFaceEncoder(Encoder):
    """Exposes a BERT-family encoder as embeddings, a stack of layers and an optional head."""

    starts_above_input = True

    def __init__(self, model, tokenizer, name: str = "model"):
        super().__init__(model, tokenizer, name)
        self.base = getattr(model, "base_model", model)
        self.embeddings = getattr(self.base, "embeddings", None)
        stack = getattr(self.base, "encoder", None) or getattr(self.base, "transformer", None)
        self.layers = getattr(stack, "layer", None)
        if self.embeddings is None or self.layers is None:
            raise WordinfoError(f"{type(model).__name__} is not a BERT-family encoder (no embeddings + layer stack): "
                                "wrap it as a function and use wordinfo.estimate")
        self.config = self.base.config
        self.has_head = hasattr(model, "classifier")
        # segment ids of a sentence pair, where the embedding block has a table of more than one
        self._takes_segments = "token_type_ids" in forward_params(self.embeddings) and \
            int(getattr(self.config, "type_vocab_size", 0) or 0) > 1

    # ---- description
    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def word_embeddings(self) -> torch.Tensor:
        return self.embeddings.word_embeddings.weight

    @property
    def position_limit(self) -> int:
        return int(getattr(self.config, "max_position_embeddings", 512))

    def targets(self, layers: str | Sequence[int] = "all", kind: str = "tokens") -> list[Target]:
        if kind == "logits" and not self.has_head:
            raise WordinfoError("target 'logits' needs a model with a classification head: "
                                "use --target tokens or cls, or a fine-tuned model")
        if str(kind).partition(":")[0] not in ("tokens", "cls", "logits"):
            raise WordinfoError(f"unknown target {kind!r}: use tokens, cls or logits")
        base, _ = parse_kind(kind, ("tokens", "cls", "logits"))
        if base == "logits":
            return [Target("logits", None)]
        return [Target(base, layer) for layer in parse_layers(layers, self.num_layers, self.from_layer)]

    # ---- inputs
    @torch.no_grad()
    def embed(self, input_ids: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        """The embedding block's output (word + position + segment embeddings, normalised): ``x``."""
        if segments is None or not self._takes_segments:
            return self.embeddings(input_ids=input_ids)
        return self.embeddings(input_ids=input_ids, token_type_ids=segments)

    # ---- the function to explain
    @in_weights_dtype
    def forward(self, xs: torch.Tensor, mask: torch.Tensor, targets: Sequence[Target]) -> list[torch.Tensor]:
        """``xs [T, N, n, K]`` (one noisy input per target) -> the T targets' outputs."""
        with math_attention(xs.device):
            return self._forward(xs, mask, targets)

    def _forward(self, xs, mask, targets):
        outputs: list = [None] * len(targets)
        stacked = [i for i, t in enumerate(targets) if t.kind != "logits"]
        for i, t in enumerate(targets):
            if t.kind == "logits":
                outputs[i] = self._logits(xs[i], mask)
        if stacked:
            for i, out in zip(stacked, self._layer_states(xs[stacked], mask, [targets[i] for i in stacked])):
                outputs[i] = out
        return outputs

    def _layer_states(self, xs, mask, targets):
        n_copies = xs.shape[1]
        chunks = {i: xs[i] for i in range(len(targets))}     # copies still running, by target position
        results: list = [None] * len(targets)
        start = self.from_layer           # x is the output of this layer (0: of the embedding block)
        for depth, layer in enumerate(self.layers[start:max(t.layer for t in targets)], start=start + 1):
            order = sorted(chunks)
            hidden = torch.cat([chunks[i] for i in order])
            hidden = _call_layer(layer, hidden, self._attention_mask(hidden, mask.repeat(len(order), 1)))
            for j, i in enumerate(order):
                chunks[i] = hidden[j * n_copies:(j + 1) * n_copies]
                if targets[i].layer == depth:
                    state = chunks.pop(i)
                    results[i] = state[:, 0] if targets[i].kind == "cls" else state
        return results

    def _attention_mask(self, hidden, mask2d):
        try:
            from transformers.masking_utils import create_bidirectional_mask
        except ImportError:   # transformers < 4.56
            return self.base.get_extended_attention_mask(mask2d.long(), mask2d.shape)
        return create_bidirectional_mask(config=self.config, inputs_embeds=hidden, attention_mask=mask2d.long())

    def states_at(self, x, mask):
        """The clean output of layer ``from_layer`` for the embedding block's output ``x``."""
        hidden = x
        for layer in self.layers[:self.from_layer]:
            hidden = _call_layer(layer, hidden, self._attention_mask(hidden, mask))
        return hidden

    def _logits(self, x, mask):
        # x replaces the output of the embedding block, or of layer from_layer (the layers below it then
        # run on a dummy input that nothing depends on)
        where = self.embeddings if not self.from_layer else self.layers[self.from_layer - 1]
        handle = where.register_forward_hook(lambda module, args, out: (x, *out[1:]) if isinstance(out, tuple) else x)
        try:
            dummy = torch.zeros(mask.shape, dtype=torch.long, device=x.device)
            return self.model(input_ids=dummy, attention_mask=mask.long()).logits
        finally:
            handle.remove()

    def clean_outputs(self, x, mask, targets):
        with torch.no_grad():
            return self.forward(x[None].expand(len(targets), *x.shape), mask, targets)


def _call_layer(layer, hidden, attention_mask):
    out = layer(hidden, attention_mask=attention_mask)
    return out[0] if isinstance(out, tuple) else out
