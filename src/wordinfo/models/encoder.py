"""What both adapters share (``HuggingFaceEncoder``, ``NativeEncoder``): the parts of the interface ``explain`` uses
that do not depend on how the model is built.

An adapter holds a model, its (fast) tokenizer and a name; a subclass says where the
word-embedding matrix is (``word_embeddings``) and how many positions the model takes
(``position_limit``), and implements the targets and the forward pass.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch

from ..errors import WordinfoError
from ..pairs import kind, split


class Encoder(ABC):
    """Base of the adapters: bound on sigma, weight fingerprint, frozen weights, tokenization.

    ``from_layer`` (:meth:`start_at`): the layer whose output is the perturbed input ``x``; 0, the
    default, is the adapter's own input (word vectors). An adapter that can start higher says so
    with ``starts_above_input = True`` and implements ``states_at(x, mask)``, the clean state of
    layer ``from_layer`` given the word vectors.
    """

    starts_above_input = False
    takes_pairs = True          # sentence pairs through the tokenizer's two-text call (wordinfo.pairs)
    from_layer = 0

    def __init__(self, model, tokenizer, name: str = "model"):
        if not getattr(tokenizer, "is_fast", False):
            raise WordinfoError("a fast tokenizer is needed to map word pieces to words: load it with use_fast=True")
        self.model, self.tokenizer, self.name = model.eval(), tokenizer, name

    def start_at(self, layer: int) -> "Encoder":
        """Explain what the layers above ``layer`` keep of its output (0: of the input word vectors)."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.num_layers:
            raise WordinfoError(f"--from-layer must be a whole number 0..{self.num_layers - 1}, got {layer!r}")
        if layer and not self.starts_above_input:
            raise WordinfoError(f"{type(self).__name__} explains from its input only: use --from-layer 0")
        self.from_layer = layer
        return self

    def embed_input(self, input_ids: torch.Tensor, mask: torch.Tensor, segments: torch.Tensor | None = None):
        """``x``: the word vectors, or the clean state of layer ``from_layer`` when that is above 0.

        ``segments`` (a sentence pair's segment ids, ``[B, n]``) go to adapters whose input holds them."""
        x = self.embed(input_ids) if segments is None else self.embed(input_ids, segments)
        if self.from_layer:
            with torch.no_grad():
                x = self.states_at(x, mask)
        return x.float() if x.dtype in LOW_PRECISION else x     # the solver's arithmetic stays float32

    @property
    def weights_dtype(self) -> torch.dtype:
        """The dtype of the model's weights (bfloat16 when loaded with ``dtype='bfloat16'``)."""
        first = next((p for p in self.model.parameters() if p.is_floating_point()), None)
        return first.dtype if first is not None else torch.float32

    def states_at(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    @abstractmethod
    def word_embeddings(self) -> torch.Tensor:
        """The word-embedding matrix ``[vocabulary, K]``."""

    @property
    @abstractmethod
    def position_limit(self) -> int:
        """How many tokens the model itself takes (its position table)."""

    @property
    def width(self) -> int:
        """K: the size of one input vector (a word vector, or a state of layer ``from_layer``)."""
        if self.from_layer:
            return int(self.state_width)
        return int(self.word_embeddings.shape[1])

    def activation_bytes_per_token(self) -> float:
        """What one token position of a noisy pass keeps for the backward pass, estimated from the config:
        per layer about six hidden-size vectors, three intermediate-size ones and the attention rows,
        4 bytes each (2 with bfloat16 weights). Used to size the passes to the memory left
        (``memory.tokens_per_pass``)."""
        config = getattr(self.model, "config", None)
        hidden = self.state_width

        def get(*keys, default):
            return next((getattr(config, k) for k in keys if isinstance(getattr(config, k, None), int)), default)

        inner = get("intermediate_size", "d_ff", "n_inner", "ffn_dim", "encoder_ffn_dim", default=4 * hidden)
        heads = get("num_attention_heads", "n_head", "num_heads", default=1)
        layers = get("num_hidden_layers", "n_layer", "num_layers", default=self.num_layers)
        size = torch.finfo(self.weights_dtype).bits / 8 if self.weights_dtype.is_floating_point else 4.0
        return size * layers * (6 * hidden + 3 * inner + 2 * heads * 128)

    @property
    def state_width(self) -> int:
        """The size of a layer's state (for ``from_layer`` above 0)."""
        config = getattr(self.model, "config", None)
        for key in ("hidden_size", "d_model", "n_embd", "dim"):
            value = getattr(config, key, None)
            if isinstance(value, int):
                return value
        return int(self.word_embeddings.shape[1])

    @property
    def max_length(self) -> int:
        """The longest input: the model's limit or the tokenizer's, whichever is smaller."""
        limit = self.position_limit
        tok = getattr(self.tokenizer, "model_max_length", limit) or limit
        return int(min(limit, tok))

    @property
    def device(self) -> torch.device:
        """Where the weights are (and so where inputs and noise must go)."""
        first = next(iter(self.model.parameters()), None)
        return first.device if first is not None else torch.device("cpu")

    def default_scale(self) -> float:
        """Ten times the std of the word-embedding matrix: the authors' advice for the bound on sigma."""
        std = float(self.word_embeddings.detach().float().std())
        if not math.isfinite(std):
            raise WordinfoError("the model's word embeddings contain NaN or Inf: check its weights")
        return 10 * std

    def fingerprint(self) -> str:
        """A hash of the weights, to key caches on the model itself rather than its name."""
        h = hashlib.blake2b(digest_size=12)
        for key, tensor in sorted(self.model.state_dict().items()):
            h.update(key.encode())
            h.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
        return h.hexdigest()

    @contextlib.contextmanager
    def frozen(self):
        """Weights need no gradient while explaining (half the backward pass); restored afterwards."""
        saved = [(p, p.requires_grad) for p in self.model.parameters()]
        for p, _ in saved:
            p.requires_grad_(False)
        try:
            yield self
        finally:
            for p, flag in saved:
                p.requires_grad_(flag)

    def tokenize(self, texts: Sequence, truncate: bool = False):
        """Padded ids, mask, offsets and special-token mask; an error for empty or (untruncated) too long texts.

        ``texts`` are strings or sentence pairs (:mod:`wordinfo.pairs`), which go through the tokenizer's
        two-text call (its separators and segment ids)."""
        firsts, seconds = split(texts)
        for t in firsts:
            if not isinstance(t, str) or not t.strip():
                raise WordinfoError("empty text: give at least one word to explain")
        if seconds is not None and not self.takes_pairs:
            raise WordinfoError(f"{self.name} takes one text at a time: drop --pair (pair=), or explain sentence "
                                "pairs with a Hugging Face model")
        limit = {"truncation": True, "max_length": self.max_length} if truncate else {}
        enc = self.tokenizer(firsts, *([seconds] if seconds is not None else []), padding=True, return_tensors="pt",
                             return_offsets_mapping=True, return_special_tokens_mask=True, **limit)
        if enc["input_ids"].shape[1] > self.max_length:
            longest = int(enc["attention_mask"].sum(1).max())
            raise WordinfoError(f"text is {longest} tokens long but the model takes at most {self.max_length}: "
                                "shorten it or pass truncate=True (--truncate)")
        return enc


LOW_PRECISION = (torch.bfloat16, torch.float16)


def forward_params(module) -> set[str]:
    """The names ``module.forward`` takes (to pass an argument only to modules that have it)."""
    import inspect
    return set(inspect.signature(module.forward).parameters)


def in_weights_dtype(forward):
    """Wraps an adapter's ``forward(xs, mask, targets)`` for models whose weights are bfloat16 (or float16):
    the noisy inputs enter in the weights' dtype and the outputs leave as float32, so that the solver's
    own arithmetic (noise, objective, Jacobian norms) stays float32 whatever the model's dtype."""
    @functools.wraps(forward)
    def wrapped(self, xs, mask, targets):
        dtype = self.weights_dtype
        if dtype not in LOW_PRECISION or xs.dtype == dtype:
            return forward(self, xs, mask, targets)
        return [out.float() for out in forward(self, xs.to(dtype), mask, targets)]
    return wrapped


def embed_texts(encoder, texts: Sequence, truncate: bool = False):
    """Tokenize ``texts`` (strings or sentence pairs) and embed them where the model is:
    ``(encoding, mask [B, n], x [B, n, K])``.

    A function rather than a method, so that any object with ``tokenize``, ``embed`` and
    ``device`` (the adapters, or a user's own encoder) can use it.
    """
    enc, ids, mask, segments = encode_texts(encoder, texts, truncate)
    return enc, mask, embed_ids(encoder, ids, mask, segments)


def encode_texts(encoder, texts: Sequence, truncate: bool = False):
    """``(encoding, ids [B, n], mask [B, n], segments [B, n] or None)`` where the model is: what
    :func:`embed_ids` takes. Segment ids only for sentence pairs, where the model's tokenizer has them."""
    enc = encoder.tokenize(texts, truncate=truncate)
    mask = enc["attention_mask"].bool().to(encoder.device)
    ids = enc["input_ids"].to(encoder.device)
    segments = None
    if hasattr(encoder, "embed_input") and "token_type_ids" in enc and kind(texts) == "pair":
        segments = enc["token_type_ids"].to(encoder.device)
    return enc, ids, mask, segments


def embed_ids(encoder, ids: torch.Tensor, mask: torch.Tensor, segments: torch.Tensor | None = None):
    """``x`` of token ids ``[B, n]``: the adapter's ``embed_input`` (segment ids, ``from_layer``), or the
    ``embed`` of a user's own encoder. The one rule for what the perturbed input of some ids is, which the
    concept words' vectors (:mod:`wordinfo.concepts`) follow too."""
    if not hasattr(encoder, "embed_input"):
        return encoder.embed(ids)
    return encoder.embed_input(ids, mask, segments)


def math_attention(device: torch.device):
    """On a CPU, attention as plain matrix products.

    The solvers back-propagate through thousands of short sequences; there PyTorch's
    fused CPU attention kernel spends more time in its backward pass than every
    other operation together, and plain matrix products (the "math" kernel) are
    about twice as fast overall (measured with torch.profiler on MiniLM, 21 tokens).
    """
    if device.type != "cpu":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel
    return sdpa_kernel(SDPBackend.MATH)
