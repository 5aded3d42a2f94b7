"""What gets explained, per kind of model.

- A classifier (a Hugging Face model with a classification head, or a native classifier):
  every layer's token states and the prediction (the logits).
- A sequence-to-sequence model (the reverse task): the prediction at every output step
  ``J``, ``logits:J``, the scores the decoder gives the vocabulary at that step. The
  reverse task's ground truth is about the output, so the output is explained; the
  decoder's state it is read from (``decoder:J``) is one linear map away.
- An encoder without a head (e.g. the bundled MiniLM): its layers' token states only, so
  there is no prediction for the faithfulness metrics.
"""

from __future__ import annotations

from ..baselines.base import Context
from ..errors import WordinfoError


def load_context(model, texts: list[str], layers="all", tokenizer=None) -> Context:
    """A :class:`Context` for ``model``: 'minilm', a model directory (Hugging Face or native), a loaded
    model with its ``tokenizer``, an encoder object (anything with wordinfo's encoder interface) or
    a ready Context."""
    if isinstance(model, Context):
        return model
    if hasattr(model, "forward") and hasattr(model, "embed") and hasattr(model, "tokenize"):
        encoder = model
    else:
        from ..models.checkpoint import load
        from ..models.native import encoder_for
        if model is None or isinstance(model, str):
            model, tokenizer, name = load(model)
        elif tokenizer is None:
            raise WordinfoError("a model object needs its tokenizer")
        else:
            name = getattr(getattr(model, "config", None), "name_or_path", None) or type(model).__name__
        encoder = encoder_for(model, tokenizer, name)
    family = getattr(getattr(encoder, "model", None), "family", None)
    if family == "seq2seq":
        return Context(StepPredictions(encoder), [], texts, step_kind="logits")
    targets = [] if layers in (None, "none") else list(encoder.targets(layers, "tokens"))
    try:
        targets += list(encoder.targets(None, "logits"))
    except WordinfoError:
        pass                                   # no head: layers only
    if not targets:
        raise WordinfoError("nothing to explain: give --layers, or a model with a classification head")
    return Context(encoder, targets, texts)


class StepPredictions:
    """A native sequence-to-sequence encoder with one more target per output step: ``logits:J``,
    the model's ``project`` of its last decoder layer's state at step ``J``."""

    def __init__(self, encoder):
        self.inner = encoder

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def targets(self, layers="all", kind: str = "tokens"):
        from ..models.native import NativeTarget
        if kind.startswith("logits:"):
            step = self.inner.targets(None, "decoder:" + kind.split(":", 1)[1])[-1]      # validates J
            return [NativeTarget(f"logits:{step.index}", None)]
        return self.inner.targets(layers, kind)

    def forward(self, xs, mask, targets):
        from ..models.native import NativeTarget
        inner = [NativeTarget(f"decoder:{t.index}", self.inner.model.decoder_layers) if _is_step(t) else t
                 for t in targets]
        outs = self.inner.forward(xs, mask, inner)
        return [self.inner.model.project(o) if _is_step(t) else o for t, o in zip(targets, outs)]

    def clean_outputs(self, x, mask, targets):
        import torch
        with torch.no_grad():
            return self.forward(x[None].expand(len(targets), *x.shape), mask, targets)


def _is_step(target) -> bool:
    return str(target.kind).startswith("logits:")
