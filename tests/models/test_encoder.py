"""What both adapters share (``wordinfo.models.encoder.Encoder``): the bound, the weights' fingerprint, frozen
weights restored, and a fast tokenizer required."""

from __future__ import annotations

import pytest
import torch

import wordinfo
from helpers.errors import one_line_error as _error
from helpers.models import NATIVE
from wordinfo.models.huggingface import HuggingFaceEncoder
from wordinfo.models.native import NativeEncoder

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


def test_frozen_restores_requires_grad(bert, tokenizer):
    enc = HuggingFaceEncoder(bert, tokenizer)
    before = [p.requires_grad for p in bert.parameters()]
    with enc.frozen():
        assert not any(p.requires_grad for p in bert.parameters())
    assert [p.requires_grad for p in bert.parameters()] == before


def test_native_adapter_shares_the_encoder_base(checkpoints):
    """Bound, fingerprint and frozen weights come from the base both adapters share."""
    from wordinfo.models.encoder import Encoder
    from wordinfo.models.huggingface import HuggingFaceEncoder
    assert issubclass(HuggingFaceEncoder, Encoder)
    model, path = checkpoints[("classifier", "lstm")]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    assert isinstance(enc, Encoder) and enc.width == NATIVE[("classifier", "lstm")]["embedding_dim"]
    assert enc.default_scale() == pytest.approx(10 * float(model.embedding.weight.detach().std()))
    before, flags = enc.fingerprint(), [p.requires_grad for p in model.parameters()]
    with enc.frozen():
        assert not any(p.requires_grad for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()] == flags and enc.fingerprint() == before
    saved = model.embedding.weight[1, 0].item()
    with torch.no_grad():
        model.embedding.weight[1, 0] = saved + 1.0
        changed = enc.fingerprint()
        model.embedding.weight[1, 0] = saved
    assert changed != before


def test_slow_tokenizer_rejected(bert):
    import types
    msg = _error(wordinfo.explain, "a good film", bert, types.SimpleNamespace(is_fast=False))
    assert "fast" in msg
