"""What gets explained, per kind of model.

- A classifier (a Hugging Face model with a classification head, or a native classifier):
  every layer's token states and the prediction (the logits).
- A sequence-to-sequence model (the reverse task): the prediction at every output step
  ``J``, ``logits:J``, the scores the decoder gives the vocabulary at that step (a target
  the native adapter has: its last decoder layer's state at step ``J``, projected). The
  reverse task's ground truth is about the output, so the output is explained; the
  decoder's state it is read from (``decoder:J``) is one linear map away.
- An encoder without a head (e.g. the bundled MiniLM): its layers' token states only, so
  there is no prediction for the faithfulness metrics.
"""

from __future__ import annotations

from ..baselines.context import Context
from ..errors import WordinfoError
from ..models.resolve import resolve
from ..models.targets import head_targets


def load_context(model, texts: list[str], layers="all", tokenizer=None) -> Context:
    """A :class:`Context` for ``model``: 'minilm', a model directory (Hugging Face or native), a loaded
    model with its ``tokenizer``, an encoder object (anything with wordinfo's encoder interface) or
    a ready Context."""
    if isinstance(model, Context):
        return model
    encoder = resolve(model, tokenizer)
    family = getattr(getattr(encoder, "model", None), "family", None)
    if family == "seq2seq":
        return Context(encoder, [], texts, step_kind="logits")
    targets = [] if layers in (None, "none") else list(encoder.targets(layers, "tokens"))
    targets += head_targets(encoder)            # no head: layers only
    if not targets:
        raise WordinfoError("nothing to explain: give --layers, or a model with a classification head")
    return Context(encoder, targets, texts)
