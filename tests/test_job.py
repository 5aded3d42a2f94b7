"""``wordinfo.job``: what ``prepare`` checks and records, and the checks of a batch's problem (NaN from the model)."""

from __future__ import annotations

import pytest
import torch

import wordinfo
from helpers import models as hf
from helpers.errors import one_line_error as _error
from helpers.models import FAST

# ---------------------------------------------------------------- NaN from the model

def _nan_bert(part: str | None = None):
    """A tiny BERT with every weight (or every weight of ``part``) set to NaN."""
    model = hf.tiny_bert(layers=2)
    with torch.no_grad():
        for p in (getattr(model, part) if part else model).parameters():
            p.fill_(float("nan"))
    return model


@pytest.mark.usefixtures("fresh_cache")
def test_nan_in_layers(tokenizer):
    model = _nan_bert("encoder")
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, **FAST)
    assert "NaN" in msg


@pytest.mark.usefixtures("fresh_cache")
def test_nan_weights_everywhere(tokenizer):
    """All weights NaN (embeddings included): the error must still say NaN, not blame an argument."""
    model = _nan_bert()
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, **FAST)
    assert "NaN" in msg, f"message does not mention NaN: {msg!r}"


@pytest.mark.usefixtures("fresh_cache")
def test_nan_weights_with_explicit_scale(tokenizer):
    model = _nan_bert()
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, scale=0.2, **FAST)
    assert "NaN" in msg


# ---------------------------------------------------------------- the settings

def test_explain_records_its_device(tiny_bert):
    import wordinfo
    model, tok = tiny_bert
    exp = wordinfo.explain("a fine film", model, tok, calibration="none", solver="fast", device="cpu")
    assert exp.settings["device"] == "cpu"
