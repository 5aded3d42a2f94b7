"""Attention (``wordinfo.baselines.attention``): the model's own weights, its attention implementation restored;
LRP says why it cannot run on BERT."""

from __future__ import annotations

import numpy as np
import torch

from wordinfo.baselines import make_methods


def test_bert_attention_is_the_models_own_and_lrp_says_why_not(bert):
    s = bert.sentence("an unbelievably good film")
    att = make_methods("attention")[0]
    tokens = att.token_scores(bert, s, [bert.targets[-1]], seed=0)[0]
    model = bert.encoder.model
    assert model.config._attn_implementation == "sdpa"                    # restored after the method ran
    model.set_attn_implementation("eager")
    try:
        with torch.no_grad():
            own = model(s.input_ids, attention_mask=s.mask.long(), output_attentions=True)
    finally:
        model.set_attn_implementation("sdpa")
    expected = own.attentions[-1][0].mean(0)[0].numpy()                   # last layer, heads averaged, [CLS] row
    np.testing.assert_allclose(tokens, expected, atol=1e-5)
    reason = make_methods("lrp")[0].unsupported(bert, bert.targets[0])
    assert "LayerNorm" in reason
