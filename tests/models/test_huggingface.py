"""The Hugging Face adapter (``wordinfo.models.huggingface``) on tiny random BERT, DistilBERT and RoBERTa models:
its forward pass layer by layer, the heads, the targets it offers, explain on each family (fast, no download)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import wordinfo
from helpers.errors import one_line_error as _error
from helpers.models import ENCODERS, FAST, tiny_bert_classifier, tiny_classifier
from helpers.models import HF_TEXTS as TEXTS
from wordinfo.models.huggingface import HuggingFaceEncoder

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


# ---------------------------------------------------------------- the adapter's forward

@pytest.mark.parametrize("kind", sorted(ENCODERS))
def test_layer_by_layer_forward_matches_hidden_states(kind, tokenizer):
    model = ENCODERS[kind]()
    enc = HuggingFaceEncoder(model, tokenizer, kind)
    batch = enc.tokenize(["a short one", "a much longer sentence with several more words in it"])
    ids, mask = batch["input_ids"], batch["attention_mask"].bool()
    assert not bool(mask.all()), "the batch should be padded"
    with torch.no_grad():
        ref = model(input_ids=ids, attention_mask=batch["attention_mask"], output_hidden_states=True).hidden_states
    assert len(ref) == enc.num_layers + 1
    x = enc.embed(ids)
    torch.testing.assert_close(x[mask], ref[0][mask], rtol=1e-5, atol=1e-5)

    targets = enc.targets("all", "tokens")
    assert [t.layer for t in targets] == list(range(1, enc.num_layers + 1))
    outs = enc.clean_outputs(x, mask, targets)
    for t, out in zip(targets, outs):
        assert out.shape == ref[t.layer].shape
        torch.testing.assert_close(out[mask], ref[t.layer][mask], rtol=1e-4, atol=1e-5,
                                   msg=lambda m: f"{kind} layer {t.layer}: {m}")

    # the same through forward() with a distinct input per target (as the solvers call it)
    xs = torch.stack([x] * len(targets))
    for t, out in zip(targets, enc.forward(xs, mask, targets)):
        torch.testing.assert_close(out[mask], ref[t.layer][mask], rtol=1e-4, atol=1e-5)

    cls_targets = enc.targets("all", "cls")
    for t, out in zip(cls_targets, enc.clean_outputs(x, mask, cls_targets)):
        torch.testing.assert_close(out, ref[t.layer][:, 0], rtol=1e-4, atol=1e-5)


def test_layer_subset_runs_only_as_deep_as_needed(bert, tokenizer):
    enc = HuggingFaceEncoder(bert, tokenizer)
    batch = enc.tokenize(TEXTS)
    mask = batch["attention_mask"].bool()
    with torch.no_grad():
        ref = bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                   output_hidden_states=True).hidden_states
    targets = enc.targets([2], "tokens")
    (out,) = enc.clean_outputs(enc.embed(batch["input_ids"]), mask, targets)
    torch.testing.assert_close(out[mask], ref[2][mask], rtol=1e-4, atol=1e-5)


def test_logits_target_matches_model_logits(tokenizer):
    model = tiny_bert_classifier()
    enc = HuggingFaceEncoder(model, tokenizer)
    batch = enc.tokenize(TEXTS)
    mask = batch["attention_mask"].bool()
    with torch.no_grad():
        ref = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    targets = enc.targets("all", "logits")
    assert [t.label for t in targets] == ["logits"]
    (out,) = enc.clean_outputs(enc.embed(batch["input_ids"]), mask, targets)
    assert out.shape == (2, 2)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["bert", "distilbert", "roberta"])
def test_logits_and_layers_of_classifiers(kind, tokenizer):
    """Models with a head: the layer stack is found under the base model, and the logits match."""
    model = tiny_classifier(kind)
    enc = HuggingFaceEncoder(model, tokenizer)
    assert enc.has_head and enc.num_layers == 2
    batch = enc.tokenize(TEXTS)
    mask = batch["attention_mask"].bool()
    with torch.no_grad():
        ref = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], output_hidden_states=True)
    x = enc.embed(batch["input_ids"])
    (logits,) = enc.clean_outputs(x, mask, enc.targets("all", "logits"))
    torch.testing.assert_close(logits, ref.logits, rtol=1e-4, atol=1e-5)
    targets = enc.targets("all", "tokens")
    for t, out in zip(targets, enc.clean_outputs(x, mask, targets)):
        torch.testing.assert_close(out[mask], ref.hidden_states[t.layer][mask], rtol=1e-4, atol=1e-5)


def test_logits_depend_on_the_perturbed_input(tokenizer):
    """The logits target must see the noisy input (the embedding hook), not the clean ids."""
    model = tiny_bert_classifier()
    enc = HuggingFaceEncoder(model, tokenizer)
    batch = enc.tokenize(TEXTS[:1])
    mask = batch["attention_mask"].bool()
    x = enc.embed(batch["input_ids"])
    targets = enc.targets("all", "logits")
    (clean,) = enc.forward(x[None], mask, targets)
    torch.manual_seed(0)
    (noisy,) = enc.forward((x + 0.5 * torch.randn_like(x))[None], mask, targets)
    assert not torch.allclose(clean, noisy)


# ---------------------------------------------------------------- explain on each family, a model directory

@pytest.mark.parametrize("kind", ["distilbert", "roberta"])
def test_explain_other_families(kind, tokenizer):
    model = ENCODERS[kind]()
    exp = wordinfo.explain(TEXTS, model, tokenizer, **FAST)
    assert exp.layers == ["1", "2"]
    for i in range(2):
        s = exp.sigma[i]
        assert s.shape == (2, len(tokenizer(TEXTS[i])["input_ids"]))
        assert np.isfinite(s).all() and (s > 0).all() and (s <= exp.scale * (1 + 1e-5)).all()


def test_explain_model_directory(tokenizer, tmp_path):
    """A local directory: a classification head is detected from config.architectures."""
    path = tmp_path / "tiny-clf"
    tiny_classifier("bert").save_pretrained(path)
    tokenizer.save_pretrained(path)
    exp = wordinfo.explain("a good film", str(path), target="logits", **FAST)
    assert exp.layers == ["logits"] and exp.model == str(path)
    exp = wordinfo.explain("a good film", str(path), layers="2", **FAST)
    assert exp.layers == ["2"]
    assert exp.sigma[0].shape == (1, 5)


# ---------------------------------------------------------------- targets

def test_target_cls(bert, tokenizer):
    exp = wordinfo.explain(TEXTS[0], bert, tokenizer, layers="2,3", target="cls", **FAST)
    assert exp.target == "cls"
    assert exp.layers == ["2", "3"]
    assert exp.sigma[0].shape == (2, len(exp.tokens()))
    assert np.isfinite(exp.sigma[0]).all() and (exp.sigma[0] > 0).all()
    assert (exp.sigma[0] <= exp.scale * (1 + 1e-5)).all()


def test_target_logits(tokenizer):
    model = tiny_bert_classifier()
    exp = wordinfo.explain(TEXTS[0], model, tokenizer, target="logits", **FAST)
    assert exp.target == "logits"
    assert exp.layers == ["logits"]
    assert exp.sigma[0].shape == (1, len(exp.tokens()))
    s = exp.sigma[0]
    assert np.isfinite(s).all() and (s > 0).all() and (s <= exp.scale * (1 + 1e-5)).all()
    d = json.loads(exp.to_json())
    assert d["layers"][0]["layer"] == "logits"


def test_target_logits_without_head(bert, tokenizer):
    msg = _error(wordinfo.explain, "a good film", bert, tokenizer, target="logits", **FAST)
    assert "head" in msg


def test_unknown_target(bert, tokenizer):
    msg = _error(wordinfo.explain, "a good film", bert, tokenizer, target="pooler", **FAST)
    assert "pooler" in msg


# ---------------------------------------------------------------- what is not a BERT-family encoder

def test_non_encoder_model(tokenizer):
    msg = _error(wordinfo.explain, "a good film", torch.nn.Linear(3, 3), tokenizer)
    assert "encoder" in msg
