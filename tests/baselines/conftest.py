"""The baselines' models: a linear toy whose answers are known, and a tiny random BERT classifier (``bert`` here is
its baselines Context, not the root conftest's bare model)."""

from __future__ import annotations

import pytest

from helpers.baseline_toys import LinearToy, toy_context
from helpers.models import minilm_tokenizer, tiny_bert_classifier


@pytest.fixture(scope="module")
def linear():
    return toy_context(LinearToy())


@pytest.fixture(scope="module")
def bert():
    """The tiny BERT classifier behind the encoder interface, with three sentences."""
    from wordinfo.baselines import Context
    from wordinfo.models.huggingface import HuggingFaceEncoder
    model = tiny_bert_classifier()
    enc = HuggingFaceEncoder(model, minilm_tokenizer(), "tiny-bert")
    texts = ["an unbelievably good film", "it is not bad at all", "dull"]
    return Context(enc, enc.targets("all", "tokens") + enc.targets(None, "logits"), texts)
