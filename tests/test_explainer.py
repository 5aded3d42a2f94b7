"""``wordinfo.explain`` (``wordinfo.explainer``) on tiny random BERTs: one text or many, alone or in a batch, the
layers chosen, the inputs it refuses with one line, the seed; the model is left as it was."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import wordinfo
from helpers.agreement import assert_same_answer
from helpers.errors import one_line_error as _error
from helpers.functions import raw_log_sigma
from helpers.models import FAST, tiny_bert
from helpers.models import HF_TEXTS as TEXTS
from wordinfo.job import prepare

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


# ---------------------------------------------------------------- every layer, several texts

def test_explain_all_layers_shapes_and_bounds(explained, bert, tokenizer):
    exp = explained
    n_layers = bert.config.num_hidden_layers
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(TEXTS[0])["input_ids"])
    assert len(exp) == 1
    assert exp.layers == [str(layer) for layer in range(1, n_layers + 1)]
    assert exp.tokens() == tokens
    assert exp.sigma[0].shape == (n_layers, len(tokens))
    assert exp.width == bert.config.hidden_size
    s = exp.sigma[0]
    assert np.isfinite(s).all()
    assert (s > 0).all() and (s <= exp.scale * (1 + 1e-5)).all()
    # default scale: ten times the std of the word-embedding matrix
    expected = 10 * float(bert.embeddings.word_embeddings.weight.detach().std())
    assert exp.scale == pytest.approx(expected, rel=1e-5)
    assert exp.target == "tokens"
    # sigma and the bits kept are clamped on the way out (SolverResult.sigma, retained_bits), so the bound above
    # holds whatever the solver gives; the solver's own answer to the same problem must keep it as well
    job = prepare(bert, tokenizer, layers="all", **FAST)
    with job.encoder.frozen():
        problem, _ = job.problem(TEXTS[:1])
        result, log_sigma = raw_log_sigma(problem, job.solver, **job.options)
    np.testing.assert_allclose(result.sigma(job.scale)[:, 0].numpy(), s, rtol=1e-6)    # the problem explain solved
    assert bool((log_sigma <= math.log(job.scale) + 1e-6).all()), (log_sigma.max(), math.log(job.scale))
    assert bool((exp.width * (math.log(job.scale) - log_sigma) / math.log(2) >= -1e-3).all())


def test_several_texts(bert, tokenizer):
    exp = wordinfo.explain(TEXTS, bert, tokenizer, layers=[1, 2], **FAST)
    assert len(exp) == 2
    assert exp.texts == TEXTS
    for i, text in enumerate(TEXTS):
        n = len(tokenizer(text)["input_ids"])
        assert exp.sigma[i].shape == (2, n)
        assert exp[i].texts == [text]
    d = json.loads(exp.to_json())
    assert len(d["sentences"]) == 2
    back = wordinfo.Explanation.from_dict(d)
    np.testing.assert_allclose(back.sigma[1], exp.sigma[1])
    assert len(exp.to_dataframe()) == sum(2 * len(exp.tokens(i)) for i in range(2))


# ---------------------------------------------------------------- alone vs in a batch

BATCH = [
    "good",
    "a film",
    "an unbelievably good film",
    "it is not a bad movie",
    "rare bird has more than enough charm to make it memorable .",
    "the plot drags , but the actors keep you watching until the very last scene",
    "short but sweet , really",
    "what a long , strange and wonderful trip this picture turns out to be for everyone",
]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_alone_equals_in_batch(tokenizer, dtype):
    assert len(BATCH) == 8 and len({len(tokenizer(t)["input_ids"]) for t in BATCH}) >= 6
    # a sharper random model and a small lambda put sigma well inside the bound, so the check bites
    model = tiny_bert(initializer_range=0.1)
    together = wordinfo.explain(BATCH, model, tokenizer, batch_size=8, lam=0.01, dtype=dtype, **FAST)
    for i in (0, 2, 7):                     # shortest, a split word, longest
        alone = wordinfo.explain(BATCH[i], model, tokenizer, lam=0.01, dtype=dtype, **FAST)
        assert alone.tokens() == together.tokens(i)
        assert together.texts[i] == BATCH[i]
        assert alone.sigma[0].max() < 0.5 * alone.scale
        assert_same_answer(alone.sigma[0], alone.sigma_se[0], alone.steps[0], together.sigma[i],
                           together.sigma_se[i], together.steps[i], dtype)


def test_batch_size_does_not_change_the_answer(bert, tokenizer):
    a = wordinfo.explain(BATCH[:5], bert, tokenizer, layers=[1, 3], batch_size=2, dtype="float32", **FAST)
    b = wordinfo.explain(BATCH[:5], bert, tokenizer, layers=[1, 3], batch_size=8, dtype="float32", **FAST)
    assert a.texts == b.texts == BATCH[:5]
    for i in range(5):
        assert_same_answer(a.sigma[i], a.sigma_se[i], a.steps[i], b.sigma[i], b.sigma_se[i], b.steps[i])


# ---------------------------------------------------------------- layers

@pytest.mark.parametrize("layers, labels", [("1,3", ["1", "3"]), ([2], ["2"]), (3, ["3"]), ("3, 1", ["1", "3"]),
                                            ("all", ["1", "2", "3"])])
def test_layer_selection(layers, labels, bert, tokenizer):
    exp = wordinfo.explain("a good film", bert, tokenizer, layers=layers, **FAST)
    assert exp.layers == labels
    assert exp.sigma[0].shape == (len(labels), 5)


def test_selected_layers_match_all_layers(explained, bert, tokenizer):
    sub = wordinfo.explain(TEXTS[0], bert, tokenizer, layers="1,3", **FAST)
    np.testing.assert_allclose(sub.sigma[0], explained.sigma[0][[0, 2]], rtol=0.02)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text(text, bert, tokenizer):
    msg = _error(wordinfo.explain, text, bert, tokenizer, **FAST)
    assert "empty" in msg


def test_empty_text_inside_a_list(bert, tokenizer):
    _error(wordinfo.explain, ["a good film", " "], bert, tokenizer, **FAST)
    _error(wordinfo.explain, [], bert, tokenizer, **FAST)


def test_too_long_text_and_truncate(tokenizer):
    model = tiny_bert(layers=2, max_position_embeddings=16)
    long_text = " ".join(["word"] * 40)
    msg = _error(wordinfo.explain, long_text, model, tokenizer, **FAST)
    assert "truncate" in msg.lower()
    assert "16" in msg
    exp = wordinfo.explain(long_text, model, tokenizer, truncate=True, **FAST)
    assert len(exp.tokens()) == 16
    assert exp.tokens()[0] == "[CLS]" and exp.tokens()[-1] == "[SEP]"
    assert np.isfinite(exp.sigma[0]).all()


@pytest.mark.parametrize("layers", [0, 99, "abc", "0", "4", [1, 9], "", []])
def test_unknown_layer(layers, bert, tokenizer):
    msg = _error(wordinfo.explain, "a good film", bert, tokenizer, layers=layers, **FAST)
    assert "layer" in msg


def test_unknown_model_path(tmp_path):
    msg = _error(wordinfo.explain, "a good film", str(tmp_path / "no_such_model"))
    assert "no_such_model" in msg
    (tmp_path / "empty_dir").mkdir()
    _error(wordinfo.explain, "a good film", str(tmp_path / "empty_dir"))


@pytest.mark.parametrize("name, value", [("lam", 0), ("lam", -1.0), ("lam", float("nan")), ("scale", 0),
                                         ("scale", -0.5), ("scale", float("inf")), ("lam", "abc")])
def test_bad_lam_and_scale(name, value, bert, tokenizer):
    msg = _error(wordinfo.explain, "a good film", bert, tokenizer, **{name: value}, **FAST)
    assert name in msg


def test_model_without_tokenizer(bert, tokenizer):
    msg = _error(wordinfo.explain, "a good film", bert)
    assert "tokenizer" in msg
    msg = _error(wordinfo.explain, "a good film", None, tokenizer)
    assert "model" in msg


def test_unknown_solver_option(bert, tokenizer):
    msg = _error(wordinfo.explain, "a good film", bert, tokenizer, no_such_option=3)
    assert "no_such_option" in msg


# ---------------------------------------------------------------- the seed, the model

def test_seed_is_reproducible(bert, tokenizer):
    a = wordinfo.explain("a good film", bert, tokenizer, layers=[1], seed=3, **FAST)
    b = wordinfo.explain("a good film", bert, tokenizer, layers=[1], seed=3, **FAST)
    np.testing.assert_array_equal(a.sigma[0], b.sigma[0])
    assert a.settings["seed"] == 3


def test_explain_leaves_model_unchanged(tokenizer):
    model = tiny_bert(layers=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.requires_grad for p in model.parameters()]
    wordinfo.explain("a good film", model, tokenizer, **FAST)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert [p.requires_grad for p in model.parameters()] == grads
