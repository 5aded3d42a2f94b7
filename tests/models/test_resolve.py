"""``resolve`` (``wordinfo.models.resolve``): any way a user names a model, to the adapter that explains it."""

from __future__ import annotations

from helpers.errors import one_line_error
from wordinfo.models.huggingface import HuggingFaceEncoder
from wordinfo.models.native import NativeEncoder
from wordinfo.models.resolve import resolve


def test_a_tokenizer_without_its_model_is_one_line(tokenizer):
    msg = one_line_error(resolve, None, tokenizer)
    assert "tokenizer was given without its model" in msg and "model=" in msg


def test_a_model_object_without_its_tokenizer_is_one_line(bert):
    assert "a model object needs its tokenizer" in one_line_error(resolve, bert)
    assert "a model object needs its tokenizer" in one_line_error(resolve, bert, None, "cpu")


def test_each_model_gets_its_adapter(bert, tokenizer, checkpoints):
    enc = resolve(bert, tokenizer)
    assert isinstance(enc, HuggingFaceEncoder) and enc.model is bert and enc.name == type(bert).__name__
    assert resolve(enc) is enc                                   # a ready encoder is used as it is
    lstm, seq2seq = checkpoints[("classifier", "lstm")][1], checkpoints[("seq2seq", "lstm")][1]
    native = resolve(str(lstm))
    assert isinstance(native, NativeEncoder) and native.name == str(lstm) and native.calibration_file is None
    own = resolve(seq2seq)                                       # a Path too; a checkpoint's own calibration sample
    assert own.calibration_file == str(seq2seq / "calibration.txt")
