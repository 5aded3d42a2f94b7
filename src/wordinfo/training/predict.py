"""Predictions of a trained classifier on a list of texts: what accuracy and MCC are computed from.

``wordinfo train`` scores its model on one file while it trains; the study (and anyone holding a
checkpoint) needs the predictions again on other files (CoLA's two GLUE dev halves, the study's
comparisons), without training. A checkpoint of any classifier family loads through
:func:`wordinfo.load_model`; this module knows how each family is called.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import WordinfoError
from .train import MAX_TOKENS, _predict


def predictions(model_dir: str | Path, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """The predicted label of each text (argmax of the logits), by the classifier saved in ``model_dir``."""
    from ..models.resolve import load_model
    model, tokenizer = load_model(model_dir)
    model.eval()
    family = getattr(model, "family", None)
    if family == "classifier":
        logits_of = model
    elif getattr(getattr(model, "config", None), "num_labels", None) and hasattr(model, "classifier"):
        logits_of = lambda ids, mask: model(input_ids=ids, attention_mask=mask).logits
    else:
        raise WordinfoError(f"{model_dir} is not a classifier (no classification head): predictions need one")
    ids = tokenizer(list(texts), truncation=True, max_length=MAX_TOKENS)["input_ids"]
    with torch.inference_mode():
        return np.array(_predict(logits_of, ids, tokenizer.pad_token_id, batch_size))
