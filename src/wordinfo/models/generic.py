"""Adapter for any Hugging Face ``PreTrainedModel``: decoder-only LMs (GPT-2, Llama, Qwen2, Mistral...),
the encoder of encoder-decoder models (T5, BART), DeBERTa, ModernBERT and whatever else takes ``inputs_embeds``.

The perturbed input ``x`` is the token embeddings (``model.get_input_embeddings()``, what
``inputs_embeds`` takes); positions, rotary angles and layer norms are the model's own
business. Layer ``l``'s state is ``hidden_states[l]`` as ``transformers`` defines it (for
decoder-only LMs the last one has the final norm applied).

Two paths compute the same function:

* the **layer-stack path** (when the model's block list is found, :func:`find_blocks`): the
  copies meant for layer ``l`` run only as deep as ``l`` (a hook on block ``l`` takes its
  output and stops the forward), so all ``L`` layers cost ``L(L+1)/2`` block evaluations per
  sample, as in the BERT adapter;
* the **generic path** (any model, or ``path='generic'``): every copy runs the whole model
  with ``output_hidden_states=True`` and each target reads its layer: ``L`` blocks per copy,
  ``L * T`` for ``T`` targets (about 1.7x the work for all six layers of a 6-layer model).

Targets: ``tokens`` (every position of each layer), ``token:J`` (position ``J`` of each layer,
``-1`` the last real token), ``logits`` (a classification head's output; for a causal LM the
next-token logits at the last real position); for an encoder-decoder, ``decoder:J``: decoder
layer ``l``'s state at output step ``J`` (1-based) while it reads a given target text
(:meth:`TransformersEncoder.set_decoder_text`, ``--decoder-text``; teacher forcing, the text
shifted right as in training). The decoder targets run the whole model. Causal models see only what comes before: for a
``token:J`` target every later word sits at the bound.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..errors import WordinfoError
from .encoder import Encoder, forward_params, in_weights_dtype, math_attention
from .targets import Target, parse_kind, parse_layers

BLOCK_PATHS = ("transformer.h", "model.layers", "model.decoder.layers", "gpt_neox.layers", "layers", "h",
               "encoder.layer", "encoder.layers", "encoder.block", "model.encoder.layers", "deberta.encoder.layer",
               "transformer.layers", "decoder.layers", "block")


class _Stop(Exception):
    """Raised by a block's hook once every copy has what it needs: the rest of the model is not run."""


def find_blocks(model, num_layers: int):
    """The model's list of ``num_layers`` Transformer blocks (a ``ModuleList``), or None when none is found."""
    for path in BLOCK_PATHS:
        obj = model
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, torch.nn.ModuleList) and len(obj) == num_layers:
            return obj
    lists = [m for m in model.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == num_layers]
    return lists[0] if len(lists) == 1 else None


class TransformersEncoder(Encoder):
    """Any ``transformers`` model as token embeddings in, hidden states (or logits) out."""

    input_name = "token embeddings (inputs_embeds)"
    starts_above_input = True

    def __init__(self, model, tokenizer, name: str = "model", path: str = "auto"):
        tokenizer = _ready_tokenizer(tokenizer)
        super().__init__(model, tokenizer, name)
        self.config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self.is_encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
        self.lm = _is_causal_lm(model)
        # what the hidden states come from: the encoder of an encoder-decoder, the base model of an LM
        # (its head is applied only where a 'logits' target needs it), else the model itself
        self.body = model.get_encoder() if self.is_encoder_decoder else \
            getattr(model, "base_model", model) if self.lm else model
        layers = getattr(self.config, "num_hidden_layers", None)
        if self.is_encoder_decoder:
            layers = getattr(self.config, "num_layers", None) or getattr(self.config, "encoder_layers", None) or layers
        if not layers:
            raise WordinfoError(f"{type(model).__name__}: cannot tell how many layers it has (no num_hidden_layers "
                                "in its config): wrap it as a function and use wordinfo.estimate")
        self._layers = int(layers)
        if path not in ("auto", "generic", "stack"):
            raise WordinfoError(f"unknown path {path!r}: use auto, stack or generic")
        self.blocks = None if path == "generic" else find_blocks(self.body, self._layers)
        if path == "stack" and self.blocks is None:
            raise WordinfoError(f"no block list of {self._layers} layers found in {type(model).__name__}: "
                                "use path='generic'")
        self.path = "stack" if self.blocks is not None else "generic"
        self.has_head = _has_classifier(model) or self.lm
        self.decoder_ids = None             # [1, m] decoder input ids of the target text (encoder-decoders)
        self._cache_arg = {"use_cache": False} if "use_cache" in forward_params(self.body) else {}

    # ---- description
    @property
    def num_layers(self) -> int:
        return self._layers

    @property
    def word_embeddings(self) -> torch.Tensor:
        return self.model.get_input_embeddings().weight

    @property
    def position_limit(self) -> int:
        for key in ("max_position_embeddings", "n_positions", "max_seq_len"):
            value = getattr(self.config, key, None)
            if isinstance(value, int) and value > 0:
                return value
        return 1 << 20

    def set_decoder_text(self, text: str | None) -> "TransformersEncoder":
        """The target text the decoder reads for ``decoder:J`` targets (an encoder-decoder only)."""
        if text is None:
            self.decoder_ids = None
            return self
        if not self.is_encoder_decoder:
            raise WordinfoError(f"--decoder-text is for encoder-decoder models; {type(self.model).__name__} is not one")
        labels = self.tokenizer([text], return_tensors="pt")["input_ids"]
        prepare = getattr(self.model, "prepare_decoder_input_ids_from_labels", None)
        if prepare is None:
            raise WordinfoError(f"{type(self.model).__name__} cannot shift a target text into decoder inputs")
        self.decoder_ids = prepare(labels=labels).to(self.device)
        return self

    @property
    def decoder_layers(self) -> int:
        return int(getattr(self.model.config, "num_decoder_layers", None)
                   or getattr(self.model.config, "decoder_layers", None) or self.num_layers)

    def targets(self, layers="all", kind: str = "tokens") -> list[Target]:
        allowed = ("tokens", "token:J", "logits") + (("decoder:J",) if self.is_encoder_decoder else ())
        base, j = parse_kind(kind, allowed)
        if base == "decoder":
            if self.decoder_ids is None:
                raise WordinfoError("target decoder:J reads a target text: give it with --decoder-text "
                                    "(decoder_text= in the API)")
            if j > self.decoder_ids.shape[1]:
                raise WordinfoError(f"target {kind} is past the end of the target text ({self.decoder_ids.shape[1]} "
                                    "decoder steps)")
            if self.from_layer:
                raise WordinfoError("decoder targets start from the input: use --from-layer 0")
            return [Target(f"decoder:{j}", layer) for layer in parse_layers(layers, self.decoder_layers)]
        if base == "logits":
            if not self.has_head or self.is_encoder_decoder:
                raise WordinfoError(f"target 'logits' needs a classification head or a causal LM head "
                                    f"({type(self.model).__name__} has neither): use --target tokens or token:J")
            return [Target("logits", None)]
        kind = base if j is None else f"{base}:{j}"
        return [Target(kind, layer) for layer in parse_layers(layers, self.num_layers, self.from_layer)]

    # ---- inputs
    @torch.no_grad()
    def embed(self, input_ids: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        """The token embeddings (what ``inputs_embeds`` takes): ``x``.

        A sentence pair's segment ids, where the model has a segment table (ALBERT, DeBERTa-v2 with
        ``type_vocab_size`` > 0), are folded in as ``E[segment] - E[0]``: the model adds ``E[0]``
        (it is given no segment ids) to ``inputs_embeds``, so it sees exactly ``E[segment]``; the
        noise stays additive on the model's own input."""
        x = self.model.get_input_embeddings()(input_ids)
        table = self.segment_table
        if segments is not None and table is not None:
            x = x + table(segments) - table(torch.zeros_like(segments))
        return x

    @property
    def segment_table(self):
        """The model's token-type (segment) embedding, when it has one with more than one row."""
        for name, module in self.model.named_modules():
            if name.endswith("token_type_embeddings") and isinstance(module, torch.nn.Embedding):
                return module if module.num_embeddings > 1 else None
        return None

    # ---- the function to explain
    @in_weights_dtype
    def forward(self, xs: torch.Tensor, mask: torch.Tensor, targets: Sequence[Target]) -> list[torch.Tensor]:
        """``xs [T, N, n, K]`` (one noisy input per target) -> the T targets' outputs."""
        with math_attention(xs.device):
            if any(t.base == "decoder" for t in targets):
                if not all(t.base == "decoder" for t in targets):
                    raise WordinfoError("decoder and encoder targets are explained in separate calls")
                return self._decoder_states(xs, mask, targets)
            lengths = mask.sum(1)
            wants_logits = any(t.kind == "logits" for t in targets)
            if self.path == "generic":
                states = self._run(xs.reshape(-1, *xs.shape[2:]), mask.repeat(len(targets), 1), None, wants_logits)
                n = xs.shape[1]
                return [self._read(t, states, lengths, slice(i * n, (i + 1) * n)) for i, t in enumerate(targets)]
            outputs: list = [None] * len(targets)
            depth = [self.num_layers if t.kind == "logits" else t.layer for t in targets]
            for d in sorted(set(depth)):       # the copies of each depth together, run only that deep
                which = [i for i, v in enumerate(depth) if v == d]
                logit_rows = any(targets[i].kind == "logits" for i in which)
                states = self._run(xs[which].reshape(-1, *xs.shape[2:]), mask.repeat(len(which), 1), d, logit_rows)
                n = xs.shape[1]
                for k, i in enumerate(which):
                    outputs[i] = self._read(targets[i], states, lengths, slice(k * n, (k + 1) * n))
        return outputs

    def _decoder_states(self, xs, mask, targets):
        """Decoder layer states at their steps, the whole model run once for every copy."""
        n = xs.shape[1]
        x = xs.reshape(-1, *xs.shape[2:])
        ids = self.decoder_ids.expand(x.shape[0], -1)
        out = self.model(inputs_embeds=x, attention_mask=mask.repeat(len(targets), 1).long(), decoder_input_ids=ids,
                         output_hidden_states=True, use_cache=False)
        return [out.decoder_hidden_states[t.layer][i * n:(i + 1) * n, t.index - 1] for i, t in enumerate(targets)]

    def start_at(self, layer: int) -> "TransformersEncoder":
        if layer and self.blocks is None:
            raise WordinfoError(f"--from-layer needs the block list of {type(self.model).__name__}, which was not "
                                "found: use --from-layer 0")
        return super().start_at(layer)

    def states_at(self, x, mask):
        """The clean output of block ``from_layer`` for the token embeddings ``x``."""
        saved, self.from_layer = self.from_layer, 0
        try:
            return self._run(x, mask, saved)[saved]
        finally:
            self.from_layer = saved

    def clean_outputs(self, x, mask, targets):
        with torch.no_grad():
            return self.forward(x[None].expand(len(targets), *x.shape), mask, targets)

    def _run(self, x, mask, depth: int | None, logits: bool = False):
        """``{layer: state}`` (and ``'logits'`` when asked): the whole model (``depth`` None or L) or its
        first ``depth`` blocks."""
        states: dict = {}
        handles = []
        if self.from_layer:                 # x replaces block from_layer's output; below it a dummy input runs
            def inject(module, args, output):
                return (x, *output[1:]) if isinstance(output, tuple) else x
            handles.append(self.blocks[self.from_layer - 1].register_forward_hook(inject))
            embed_width = self.model.get_input_embeddings().weight.shape[1]
            x_in = torch.zeros(*x.shape[:2], embed_width, dtype=x.dtype, device=x.device)
        else:
            x_in = x
        if logits and not self.lm:          # a classification head: the model's own forward
            try:
                out = self.model(inputs_embeds=x_in, attention_mask=mask.long(), output_hidden_states=True)
            finally:
                for h in handles:
                    h.remove()
            states.update({layer: h for layer, h in enumerate(out.hidden_states) if layer >= 1})
            states["logits"] = out.logits
            return states
        if depth is not None and depth < self.num_layers:
            def grab(module, args, output):
                states[depth] = output[0] if isinstance(output, tuple) else output
                raise _Stop
            handles.append(self.blocks[depth - 1].register_forward_hook(grab))
        try:
            out = self.body(inputs_embeds=x_in, attention_mask=mask.long(), output_hidden_states=True,
                            **self._cache_arg)
        except _Stop:
            return states
        finally:
            for h in handles:
                h.remove()
        states.update({layer: h for layer, h in enumerate(out.hidden_states) if layer >= 1})
        if logits:                          # a causal LM's head reads the last hidden state
            lengths = mask.sum(1)
            last = out.last_hidden_state[torch.arange(x.shape[0], device=x.device), (lengths - 1).clamp_min(0)]
            states["logits"] = self.model.get_output_embeddings()(last)
        return states

    def _read(self, t: Target, states, lengths, rows):
        if t.kind == "logits":            # a causal LM's: the next-token scores after the last real token
            return states["logits"][rows]
        state = states[t.layer][rows]
        if t.base == "token":
            j = torch.full_like(lengths, t.index) if t.index >= 0 else lengths + t.index
            if not bool(((j >= 0) & (j < lengths)).all()):
                raise WordinfoError(f"target {t.kind} is past the end of a text of {int(lengths.min())} tokens "
                                    f"(positions 0..{int(lengths.min()) - 1}, or -1 for the last)")
            return state[torch.arange(state.shape[0], device=state.device), j]
        return state


def _ready_tokenizer(tokenizer):
    """A tokenizer that pads on the right (positions of real tokens stay 0..n-1) and has a pad token."""
    if getattr(tokenizer, "pad_token", None) is None:
        fill = getattr(tokenizer, "eos_token", None) or getattr(tokenizer, "unk_token", None)
        if fill is None:
            raise WordinfoError("the tokenizer has no pad, end or unknown token to pad with: set tokenizer.pad_token")
        tokenizer.pad_token = fill
    tokenizer.padding_side = "right"
    return tokenizer


def _is_causal_lm(model) -> bool:
    return type(model).__name__.endswith(("ForCausalLM", "LMHeadModel"))


def _has_classifier(model) -> bool:
    return type(model).__name__.endswith("ForSequenceClassification")
