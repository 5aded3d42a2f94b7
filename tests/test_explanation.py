"""The :class:`~wordinfo.explanation.Explanation` of a tiny random BERT: words from word pieces, the values and
their formulas, tables, data frames, JSON and files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import wordinfo
from helpers.models import FAST

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


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
