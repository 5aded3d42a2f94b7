"""Attention weights as explanations: raw attention and attention rollout (Abnar and Zuidema, 2020).

Captum has no attention method, so both are written here. For a layer's token states a
token's score is the attention it receives at that layer (mean over heads and over query
positions); for the prediction, the attention the first token ([CLS], which a BERT
classifier's head reads) pays to each token in the last layer. Rollout multiplies the
layers' head-averaged attention matrices, each mixed half-and-half with the identity for
the residual connection, so layer ``l``'s scores say how much of its states flows from
each input token.

Weights come from the encoder's ``attention_maps(x, mask)`` when it has one (a list of
``[N, heads, n, n]`` per layer), else, for Hugging Face encoders, from the layers' self-
attention modules run with the eager attention implementation.
"""

from __future__ import annotations

import contextlib

import torch

from .base import Method
from .targets import is_prediction, is_step


class Attention(Method):
    name = "attention"
    rollout = False

    def unsupported(self, ctx, target):
        kinds = attention_kinds(ctx.encoder)
        if not kinds:
            return "not an attention model (no attention weights)"
        if is_step(target):
            if "cross" not in kinds:
                return "no attention from the decoder to the input"
            if self.rollout and "self" not in kinds:
                return "rollout needs self-attention in the encoder (an LSTM encoder has none)"
            return None
        if "self" not in kinds:
            return "no self-attention over the input"
        if not is_prediction(target) and getattr(target, "kind", None) != "tokens":
            return f"attention has no score for a {target.kind} target"
        return None

    def token_scores(self, ctx, sentence, targets, seed):
        with torch.no_grad():
            maps = attention_maps(ctx.encoder, sentence.x, sentence.mask, steps=len(sentence.words))
        layers = [a[0].float().mean(0) for a in maps.get("self", [])]       # [n, n] per layer, head-averaged
        if layers and self.rollout:
            eye = torch.eye(layers[0].shape[-1])
            rolled, acc = [], eye
            for a in layers:
                mixed = 0.5 * a + 0.5 * eye
                acc = (mixed / mixed.sum(-1, keepdim=True)) @ acc
                rolled.append(acc)
            layers = rolled
        rows = []
        for t in targets:
            if is_step(t):
                cross = maps["cross"][0].float().mean(0)[t.index - 1]          # [n] over the encoder's states
                rows.append(cross @ layers[-1] if self.rollout else cross)
            elif is_prediction(t):
                last = layers[-1]
                rows.append(last[0] if _reads_first_token(ctx.encoder) else last.mean(0))
            else:
                rows.append(layers[t.layer - 1].mean(0))
        return torch.stack(rows).numpy()


class AttentionRollout(Attention):
    name = "attention_rollout"
    rollout = True


def _reads_first_token(encoder) -> bool:
    """The prediction reads the first token's state (BERT's [CLS]) rather than a pooled one."""
    config = getattr(getattr(encoder, "model", None), "config", None)
    return not isinstance(config, dict) or config.get("pool") in (None, "cls", "first")


def attention_kinds(encoder) -> set[str]:
    """Which attention weights the encoder offers: 'self' (over the input tokens, per layer) and
    'cross' (a decoder's over the encoder's states, per output step)."""
    if hasattr(encoder, "attention_maps"):
        return {"self"}
    if _self_attention_modules(encoder):
        return {"self"}
    return set(_native_modules(getattr(encoder, "model", None)))


def attention_maps(encoder, x: torch.Tensor, mask: torch.Tensor, steps: int = 1) -> dict:
    """Attention probabilities of the clean input: ``{'self': [N, heads, n, n] per layer (rows: queries),
    'cross': [N, heads, steps, n]}``, whichever the model has."""
    if hasattr(encoder, "attention_maps"):
        return {"self": list(encoder.attention_maps(x, mask))}
    if _self_attention_modules(encoder):
        return {"self": _hf_self_attention(encoder, x, mask)}
    return _native_attention(encoder, x, mask, steps)


def _hf_self_attention(encoder, x, mask):
    modules = _self_attention_modules(encoder)
    captured: list = [None] * len(modules)

    def keep(i):
        def hook(module, args, out):
            if isinstance(out, tuple) and len(out) > 1 and isinstance(out[1], torch.Tensor):
                captured[i] = out[1].detach()
        return hook

    handles = [m.register_forward_hook(keep(i)) for i, m in enumerate(modules)]
    try:
        with _eager(encoder.model):
            encoder.forward(x[None], mask, encoder.targets(str(len(modules)), "tokens"))
    finally:
        for h in handles:
            h.remove()
    if any(c is None for c in captured):
        raise RuntimeError("the model's attention modules returned no weights")
    return captured


def _native_modules(model) -> dict:
    """The attention modules of a native model (``models/blocks.py``), or the parts of the LSTM
    decoder's attention: its weights are recomputed from what these modules see, since the
    native models do not return them."""
    from ..models.blocks import EncoderBlock
    found = {}
    stack = getattr(model, "stack", None)
    if stack is not None and len(stack) and all(isinstance(b, EncoderBlock) for b in stack):
        found["self"] = [b.attn for b in stack]
    decoder = getattr(model, "decoder", None)
    if decoder is not None and len(decoder) and hasattr(decoder[-1], "cross_attn"):
        found["cross"] = decoder[-1].cross_attn
    elif all(hasattr(model, a) for a in ("score", "cell", "steps")):     # LSTM decoder, Luong attention
        found["cross"] = (model.score, model.cell)
    return found


def _native_attention(encoder, x, mask, steps):
    modules = _native_modules(encoder.model)
    seen: dict = {"self": [], "cross": [], "keys": [], "h": []}
    handles = []
    for m in modules.get("self", []):
        handles.append(m.register_forward_hook(lambda mod, args, out: seen["self"].append(_weights(mod, *args))))
    cross = modules.get("cross")
    if isinstance(cross, tuple):
        handles.append(cross[0].register_forward_hook(lambda mod, args, out: seen["keys"].append(out)))
        handles.append(cross[1].register_forward_hook(lambda mod, args, out: seen["h"].append(out[0])))
    elif cross is not None:
        handles.append(cross.register_forward_hook(lambda mod, args, out: seen["cross"].append(_weights(mod, *args))))
    try:
        if "cross" in modules:
            targets = encoder.targets(None, f"logits:{steps}")
        else:
            targets = encoder.targets(str(len(modules["self"])), "tokens")
        encoder.forward(x[None], mask, targets)
    finally:
        for h in handles:
            h.remove()
    out = {}
    if seen["self"]:
        out["self"] = seen["self"]
    if seen["cross"]:
        out["cross"] = seen["cross"][-1]
    elif seen["h"]:
        scores = torch.einsum("nsd,nkd->nsk", torch.stack(seen["h"], 1), seen["keys"][-1])
        out["cross"] = scores.masked_fill(~mask[:, None], float("-inf")).softmax(-1)[:, None]
    return out


def _weights(module, query, memory, keep):
    """Softmax(q k^T / sqrt(d)) of a ``models.blocks.Attention`` for its inputs: ``[N, heads, n_q, n_k]``."""
    n, lq, d = query.shape
    h = module.heads
    q = module.q(query).view(n, lq, h, d // h).transpose(1, 2)
    k = module.k(memory).view(n, -1, h, d // h).transpose(1, 2)
    scores = (q @ k.transpose(-1, -2)) / (d // h) ** 0.5
    return scores.masked_fill(~keep[:, None], float("-inf")).softmax(-1).detach()


def _self_attention_modules(encoder) -> list:
    layers = getattr(encoder, "layers", None)
    if layers is None or not hasattr(encoder, "model"):
        return []
    found = []
    for layer in layers:
        mods = [m for m in layer.modules() if type(m).__name__.endswith("SelfAttention")]
        if not mods:
            return []
        found.append(mods[0])
    return found


@contextlib.contextmanager
def _eager(model):
    """Hugging Face models return attention weights only with the eager implementation."""
    config = model.config
    saved = getattr(config, "_attn_implementation", None)
    if saved in (None, "eager"):
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(saved)
