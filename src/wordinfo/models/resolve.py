"""Any way a user names a model -> the adapter that explains it: the one place for that rule.

``resolve(model, tokenizer, device)`` takes what ``explain``, runs, the evaluation and the
workers are given: None or 'minilm' (the bundled MiniLM-L6), a directory written by
``wordinfo train`` (a native checkpoint or a fine-tuned BERT), a local Hugging Face model
directory, a Hub id (``gpt2``, ``org/name``: ``models/hub.py``), a loaded ``transformers``
model with its tokenizer, or a ready encoder (anything with wordinfo's encoder interface:
``targets``, ``tokenize``, ``embed``, ``forward``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import WordinfoError
from .encoder import Encoder

# encoders whose layers take (hidden, attention_mask) alone: the embedding block's output is perturbed
# (models/huggingface.py); every other model goes through models/generic.py (token embeddings perturbed)
BERT_FAMILY = ("bert", "roberta", "xlm-roberta", "camembert", "distilbert", "electra")


def is_encoder(obj) -> bool:
    """True for an adapter, or a user's object with the encoder interface."""
    return isinstance(obj, Encoder) or all(hasattr(obj, a) for a in ("forward", "embed", "tokenize", "targets"))


def load(name_or_path: str | None, dtype=None):
    """``(model, tokenizer, name)`` from 'minilm' (or None), a native checkpoint or a Hugging Face model directory.

    ``dtype`` (``torch.bfloat16``) loads a Hugging Face model's weights in that dtype (half the memory of
    float32); wordinfo's own models, a few MB, stay float32."""
    from .checkpoint import is_native, load_native
    from .hub import load_pretrained

    if name_or_path is not None and is_native(name_or_path):
        model, tokenizer = load_native(name_or_path)
        return model, tokenizer, str(name_or_path)
    return load_pretrained(name_or_path, dtype)


def load_model(path: str | Path = "minilm"):
    """Load any model wordinfo can explain: ``(model, tokenizer)``, for ``wordinfo.explain(texts, model, tokenizer)``.

    ``path`` is 'minilm' (the bundled MiniLM-L6), a directory written by ``wordinfo train``
    (native or fine-tuned BERT), a local Hugging Face model directory or a Hub id.
    """
    model, tokenizer, _ = load(str(path))
    return model, tokenizer


def resolve(model=None, tokenizer=None, device=None, dtype=None) -> Encoder:
    """The encoder for ``model`` (see the module docstring), on ``device`` when one is given; a model given by
    name or path is loaded with its weights in ``dtype`` (see :func:`load`); a model object stays as it is."""
    if is_encoder(model):
        if device is not None:
            model.model.to(device)
        return model
    if model is None or isinstance(model, (str, Path)):
        if tokenizer is not None and model is None:
            raise WordinfoError("a tokenizer was given without its model: pass model= too")
        model, tokenizer, name = load(None if model is None else str(model), dtype)
    else:
        if tokenizer is None:
            raise WordinfoError("a model object needs its tokenizer: explain(texts, model, tokenizer)")
        name = getattr(getattr(model, "config", None), "name_or_path", None) or type(model).__name__
    if device is not None:
        model = model.to(device)
    return encoder_for(model, tokenizer, name)


def encoder_for(model, tokenizer, name: str) -> Encoder:
    """The adapter that fits a loaded ``model``: native models their own, everything else the Hugging Face one."""
    from .base import NativeModel
    from .generic import TransformersEncoder
    from .huggingface import HuggingFaceEncoder
    from .native import NativeEncoder

    if isinstance(model, NativeModel):
        calibration = None
        if Path(name).is_dir() and (Path(name) / "calibration.txt").is_file():
            calibration = str(Path(name) / "calibration.txt")       # a checkpoint's own calibration sample
        return NativeEncoder(model, tokenizer, name, calibration)
    from transformers import PreTrainedModel
    if not isinstance(model, PreTrainedModel):
        raise WordinfoError(f"{type(model).__name__} is neither a Hugging Face model nor a wordinfo model, so no "
                            "encoder adapter fits it: wrap it as a function and use wordinfo.estimate")
    if getattr(getattr(model, "config", None), "model_type", None) in BERT_FAMILY:
        return HuggingFaceEncoder(model, tokenizer, name)
    return TransformersEncoder(model, tokenizer, name)
