"""``check_encoder`` (``wordinfo.models.checks``) on every adapter wordinfo ships: tiny random Hugging Face models
(BERT with and without a head, DistilBERT, RoBERTa) and the native families (Transformer, LSTM and CNN classifiers,
LSTM and Transformer seq2seq models), each as ``resolve`` gives it; and the check failing, naming the rule, on
adapters broken on purpose."""

from __future__ import annotations

import pytest
import torch

from helpers.models import NATIVE_KEYS, REVERSE_TEXTS, tiny_bert, tiny_bert_classifier, tiny_distilbert, tiny_roberta
from wordinfo.models.checks import check_encoder
from wordinfo.models.huggingface import HuggingFaceEncoder
from wordinfo.models.native import NativeEncoder
from wordinfo.models.resolve import resolve

HUGGING_FACE = {"bert": tiny_bert, "bert-classifier": tiny_bert_classifier, "distilbert": tiny_distilbert,
                "roberta": tiny_roberta}
# besides every layer's token states (and the logits of a model with a head), the kinds each native family offers
NATIVE_EXTRA = {("classifier", "transformer"): ["cls", "sentence"],
                ("classifier", "lstm"): ["sentence", "step:2", "step:-1"],
                ("classifier", "cnn"): ["sentence"]}


@pytest.mark.parametrize("kind", sorted(HUGGING_FACE))
def test_every_hugging_face_adapter_passes(kind, tokenizer):
    enc = resolve(HUGGING_FACE[kind](), tokenizer)
    assert isinstance(enc, HuggingFaceEncoder) and enc.has_head == (kind == "bert-classifier")
    check_encoder(enc)                                          # every layer's tokens, and the logits with a head
    check_encoder(enc, targets=enc.targets("all", "cls"))


@pytest.mark.parametrize("key", NATIVE_KEYS, ids="-".join)
def test_every_native_adapter_passes(key, checkpoints):
    enc = resolve(str(checkpoints[key][1]))
    assert isinstance(enc, NativeEncoder)
    if key[0] == "seq2seq":                 # the reverse task's digits; the decoder's states and scores at a step
        targets = enc.targets("all", "tokens") + enc.targets("all", "decoder:1") + enc.targets(None, "logits:1")
        check_encoder(enc, texts=REVERSE_TEXTS, targets=targets)
    else:
        check_encoder(enc)                                      # every layer's tokens, and the logits
        check_encoder(enc, targets=[t for kind in NATIVE_EXTRA[key] for t in enc.targets("all", kind)])


class Bent:
    """A good encoder with one thing wrong: ``bend(output, xs_of_that_target, mask)`` changes what forward gives
    (and so what clean_outputs gives: they stay consistent, so only the rule broken on purpose fails)."""

    def __init__(self, inner, bend):
        self.inner, self.bend = inner, bend

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def forward(self, xs, mask, targets):
        return [self.bend(out, xs[i], mask) for i, out in enumerate(self.inner.forward(xs, mask, targets))]

    def clean_outputs(self, x, mask, targets):
        with torch.no_grad():
            return self.forward(x[None].expand(len(targets), *x.shape), mask, targets)


def _per_row(values, out):
    return values.reshape(-1, *([1] * (out.dim() - 1)))


BROKEN = {
    # the k-th row of a batch is shifted by 0.1 k: the output of copy k depends on k
    "batch": lambda out, xs, mask: out + 0.1 * _per_row(torch.arange(out.shape[0], dtype=out.dtype), out),
    # a mean over every position, padding included (of the first feature: the embedding's LayerNorm centres each
    # position's features): a text's output depends on the padding beside it
    "padding": lambda out, xs, mask: out + _per_row(xs[..., 0].mean(dim=-1), out),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_a_broken_adapter_fails_naming_the_rule(rule, bert, tokenizer):
    good = resolve(bert, tokenizer)
    check_encoder(Bent(good, lambda out, xs, mask: out))        # the wrapper itself breaks nothing
    with pytest.raises(AssertionError, match="changes with its batch or its padding") as info:
        check_encoder(Bent(good, BROKEN[rule]))
    assert f"(copy {1 if rule == 'batch' else 0})" in str(info.value)
