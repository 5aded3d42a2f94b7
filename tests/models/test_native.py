"""The native adapter (``wordinfo.models.native``) on tiny Transformer, LSTM and CNN classifiers and LSTM and
Transformer seq2seq models: its targets are the model's own states, padding changes nothing, explain runs on every
family and target, and bad targets or words are one-line errors.

Models here are a few units wide and untrained; the real trainings are ``wordinfo train``
commands (docs/models.md).
"""

from __future__ import annotations

import pytest
import torch

import wordinfo
from helpers.errors import one_line_error as _error
from helpers.models import FAST, NATIVE, NATIVE_KEYS, REVERSE_TEXTS
from helpers.models import NATIVE_TEXTS as TEXTS
from helpers.models import native_texts as texts_for
from wordinfo.models.native import NativeEncoder

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


def batch(encoder, texts):
    enc = encoder.tokenize(texts)
    return enc["input_ids"], enc["attention_mask"].bool()


@pytest.mark.parametrize("key", NATIVE_KEYS, ids="-".join)
def test_adapter_reads_the_models_own_states(key, checkpoints):
    """Every target equals the state the model itself computes, layer by layer, for a padded batch."""
    model, path = checkpoints[key]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    ids, mask = batch(enc, texts_for(key))
    assert not bool(mask.all()), "the batch should be padded"
    x = enc.embed(ids)
    with torch.no_grad():
        states, h = [], model.start(x, mask)
        for i in range(model.num_layers):
            h = model.layer(i, h, mask)
            states.append(h)
    targets = enc.targets("all", "tokens")
    for t, out in zip(targets, enc.forward(torch.stack([x] * len(targets)), mask, targets)):
        torch.testing.assert_close(out[mask], states[t.layer - 1][mask])
    if key[0] == "classifier":
        (sentence,), (logits,) = enc.clean_outputs(x, mask, enc.targets("all", "sentence")), \
            enc.clean_outputs(x, mask, enc.targets("all", "logits"))
        torch.testing.assert_close(sentence, model.pool(states[-1], mask))
        with torch.no_grad():
            torch.testing.assert_close(logits, model(ids, mask.long()))
    else:
        targets = enc.targets("all", "decoder:2")
        with torch.no_grad():
            decoded = model.decode(states[-1], mask, 2)
        for t, out in zip(targets, enc.clean_outputs(x, mask, targets)):
            torch.testing.assert_close(out, decoded[t.layer - 1][:, 1])


@pytest.mark.parametrize("key", NATIVE_KEYS, ids="-".join)
def test_padding_never_changes_a_result(key, checkpoints):
    model, path = checkpoints[key]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    kinds = {"classifier": ["tokens", "sentence", "logits"], "seq2seq": ["tokens", "decoder:3"]}[key[0]]
    if key == ("classifier", "lstm"):
        kinds += ["step:2", "step:-1"]
    short, long_ = texts_for(key)
    ids1, mask1 = batch(enc, [short])
    ids2, mask2 = batch(enc, [short, long_])
    n = mask1.shape[1]
    for kind in kinds:
        targets = enc.targets("all", kind)
        alone = enc.clean_outputs(enc.embed(ids1), mask1, targets)
        beside = enc.clean_outputs(enc.embed(ids2), mask2, targets)
        for a, b in zip(alone, beside):
            b = b[:1, :n] if kind == "tokens" else b[:1]
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=lambda m, k=kind: f"{key} {k}: {m}")


def test_lstm_step_target_is_the_state_at_that_token(checkpoints):
    model, path = checkpoints[("classifier", "lstm")]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    ids, mask = batch(enc, TEXTS)
    x = enc.embed(ids)
    tokens = enc.clean_outputs(x, mask, enc.targets("2", "tokens"))[0]
    first = enc.clean_outputs(x, mask, enc.targets("2", "step:1"))[0]
    last = enc.clean_outputs(x, mask, enc.targets("2", "step:-1"))[0]
    torch.testing.assert_close(first, tokens[:, 1])
    lengths = mask.sum(1)
    torch.testing.assert_close(last, tokens[torch.arange(2), lengths - 1])
    assert int(lengths[0]) < int(lengths[1])      # so 'last' is not just one column


TARGETS = {("classifier", "transformer"): ["tokens", "cls", "sentence", "logits"],
           ("classifier", "lstm"): ["tokens", "sentence", "logits", "step:3", "step:-1"],
           ("classifier", "cnn"): ["tokens", "sentence", "logits"],
           ("seq2seq", "lstm"): ["tokens", "decoder:1", "decoder:5"],
           ("seq2seq", "transformer"): ["tokens", "decoder:2"]}


@pytest.mark.parametrize("key, target", [(k, t) for k in NATIVE_KEYS for t in TARGETS[k]], ids=str)
def test_explain_every_family_and_target(key, target, checkpoints):
    model, path = checkpoints[key]
    text = texts_for(key)[0]
    exp = wordinfo.explain(text, str(path), layers="all", target=target, **FAST)
    if target in ("sentence", "logits"):
        assert exp.layers == [target]
    else:
        depth = model.decoder_layers if target.startswith("decoder") else model.num_layers
        assert exp.layers == [str(i) for i in range(1, depth + 1)]
    sigma = exp.sigma[0]
    assert sigma.shape == (len(exp.layers), len(exp.tokens()))
    assert ((sigma > 0) & (sigma <= exp.scale * (1 + 1e-6))).all()
    assert exp.settings["input"].startswith("token embeddings")
    if key[0] == "seq2seq":
        assert exp.words() == ["[CLS]", *text.split(), "[SEP]"]
        assert str(path) in exp.settings["feature_std"]          # the checkpoint's own calibration sample


def test_explain_a_loaded_model_object(checkpoints):
    model, tokenizer = wordinfo.load_model(checkpoints[("classifier", "cnn")][1])
    exp = wordinfo.explain(TEXTS, model, tokenizer, layers=[1, 3], **FAST)
    assert len(exp) == 2 and exp.layers == ["1", "3"]


@pytest.mark.parametrize("key, target, fragment", [
    (("classifier", "cnn"), "step:2", "tokens, sentence, logits"),
    (("classifier", "cnn"), "cls", "cnn"),
    (("classifier", "lstm"), "decoder:1", "step:J"),
    (("classifier", "lstm"), "step:x", "whole number"),
    (("classifier", "lstm"), "step:40", "past the end"),
    (("classifier", "transformer"), "sentence:2", "no ':'"),
    (("seq2seq", "lstm"), "logits", "decoder:J"),
    (("seq2seq", "lstm"), "decoder:0", "from 1"),
    (("seq2seq", "transformer"), "decoder:9", "past the end"),
])
def test_bad_targets_are_one_line_errors(key, target, fragment, checkpoints):
    path = checkpoints[key][1]
    assert fragment in _error(wordinfo.explain, texts_for(key)[0], str(path), target=target, **FAST)


def test_unknown_word_of_a_closed_vocabulary(checkpoints):
    path = checkpoints[("seq2seq", "lstm")][1]
    msg = _error(wordinfo.explain, "3 1 42", str(path), target="decoder:1", **FAST)
    assert "'42'" in msg and "vocabulary" in msg


DEEP = [k for k in NATIVE_KEYS if NATIVE[k]["layers"] >= 2] + [("seq2seq", "transformer")]


@pytest.mark.parametrize("key", DEEP, ids="-".join)
def test_from_layer_one_starts_at_the_models_own_layer_one(key, checkpoints, tmp_path):
    """from_layer=1: x is layer 1's state, and every target above it (and the pooled or decoded readouts) is the
    same function of the input as from the word vectors; layer 1 itself is no target. (The tiny seq2seq
    models have one encoder layer: this one is rebuilt with two.)"""
    model, path = checkpoints[key]
    if model.num_layers < 2:
        from wordinfo.models.checkpoint import build, save
        torch.manual_seed(0)
        model = build(*key, {**NATIVE[key], "layers": 2}).eval()
        path = save(tmp_path / "deep", model, wordinfo.load_model(path)[1], "reverse",
                    calibration=REVERSE_TEXTS * 2)
    tok = wordinfo.load_model(path)[1]
    base, above = NativeEncoder(model, tok, "tiny"), NativeEncoder(model, tok, "tiny").start_at(1)
    ids, mask = batch(base, texts_for(key))
    from wordinfo.models.encoder import embed_texts
    _, _, x1 = embed_texts(above, texts_for(key))
    x0 = base.embed(ids)
    with torch.no_grad():
        h1 = model.layer(0, model.start(x0, mask), mask)
    torch.testing.assert_close(x1, h1)
    assert above.width == h1.shape[-1]
    kinds = ["tokens"] + (["sentence", "logits"] if key[0] == "classifier" else ["decoder:2"])
    for kind in kinds:
        targets = above.targets("all", kind)
        assert all(t.layer is None or t.layer >= 2 or kind != "tokens" for t in targets)
        for got, want in zip(above.clean_outputs(x1, mask, targets), base.clean_outputs(x0, mask, targets)):
            torch.testing.assert_close(got[mask] if kind == "tokens" else got, want[mask] if kind == "tokens" else want)
    exp = wordinfo.explain(texts_for(key)[0], str(path), from_layer=1, **FAST)
    assert exp.layers == [str(v) for v in range(2, model.num_layers + 1)] and exp.from_layer == 1
