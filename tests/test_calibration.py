"""sigma_S from a calibration sample (``wordinfo.calibration``): computed once, cached by the model's weights,
recomputed when the cache is damaged, equal to the pooled std; a user's own sample, or none."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import wordinfo
from helpers.errors import one_line_error as _error
from helpers.models import FAST, tiny_bert
from wordinfo.models.huggingface import HuggingFaceEncoder

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


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


def test_an_unwritable_cache_is_one_line_before_the_work(bert, tokenizer, tmp_path, monkeypatch):
    """WORDINFO_CACHE under a file (or where no folder can be made): one line naming it, before sigma_S is
    computed."""
    from wordinfo import calibration
    (tmp_path / "a-file").write_text("x")
    monkeypatch.setattr(calibration, "_compute", lambda *a: pytest.fail("sigma_S was computed"))
    for where in (tmp_path / "a-file" / "cache", "/proc/wordinfo-cache"):
        monkeypatch.setenv("WORDINFO_CACHE", str(where))
        msg = _error(wordinfo.explain, "a good film", bert, tokenizer, **FAST)
        assert "the calibration cache" in msg and "WORDINFO_CACHE" in msg


def test_a_cache_that_cannot_be_saved_after_the_work_keeps_the_answer(bert, tokenizer, monkeypatch, capsys):
    """The disk fills while sigma_S is saved: the explanation is still made, and stderr says it was not cached."""
    import errno

    from wordinfo import calibration, files

    def full(path, write, before_rename=None):
        raise files.WordinfoError(f"cannot write {path} ({errno.errorcode[errno.ENOSPC]})")

    monkeypatch.setattr(calibration, "write_atomic", full)
    exp = wordinfo.explain("a good film", bert, tokenizer, **FAST)
    assert len(exp.layers) == 3 and "sigma_S was not cached" in capsys.readouterr().err
