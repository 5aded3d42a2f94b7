"""``wordinfo.job``: what ``prepare`` checks and records, and the checks of a batch's problem (NaN from the model)."""

from __future__ import annotations

import re

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


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize("solver", ["default", "fast", "paper"])
def test_nan_only_under_noise_names_the_layer_and_the_share_of_samples(tokenizer, solver):
    """Layer 2 of this BERT is finite at the clean input and NaN once noise moves its input far enough: every
    solver ends with one line naming layer 2 and how many noisy samples were affected, never a NaN sigma."""
    model = hf.tiny_bert(layers=2)
    with torch.no_grad():
        clean = model(**tokenizer(["a good film"], return_tensors="pt"), output_hidden_states=True).hidden_states[1]
    limit = float(clean.abs().max()) * 1.02

    def nan_when_far(module, inputs, output):
        far = inputs[0].abs().amax(-1, keepdim=True) > limit
        return (torch.where(far, torch.full_like(output[0], float("nan")), output[0]), *output[1:])

    model.encoder.layer[1].register_forward_hook(nan_when_far)
    options = {"default": FAST, "fast": {}, "paper": {"steps": 20}}[solver]
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, solver=solver, calibration="none", **options)
    assert re.match(r"layer 2: the model's output is NaN or Inf for \d+ of \d+ noisy samples \(\d+\.\d%", msg), msg
    assert "--dtype float32" in msg


@pytest.mark.usefixtures("fresh_cache")
def test_float16_weights_explain_in_their_own_arithmetic(tiny_bert, tokenizer):
    """A model object in float16 (bfloat16 autocast cannot take it) runs its noisy passes in float16; asking for
    bfloat16 passes is one line."""
    model = hf.tiny_bert(layers=2).half()
    exp = wordinfo.explain("a good film", model, tokenizer, **FAST)
    assert exp.settings["weights"] == "float16" and all(bool((s > 0).all()) for s in exp.sigma)
    assert "float16" in _error(wordinfo.explain, "a good film", model, tokenizer, dtype="bfloat16", **FAST)


# ---------------------------------------------------------------- the settings

def test_explain_records_its_device(tiny_bert):
    import wordinfo
    model, tok = tiny_bert
    exp = wordinfo.explain("a fine film", model, tok, calibration="none", solver="fast", device="cpu")
    assert exp.settings["device"] == "cpu"
