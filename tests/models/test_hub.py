"""Where Hugging Face models come from (``wordinfo.models.hub``): a model directory whose weights are pickle files is
refused before anything opens them, a damaged safetensors file is one line."""

from __future__ import annotations

import shutil

import pytest
import torch

import wordinfo
from helpers.errors import one_line_error
from helpers.models import save_tiny_bert, tiny_bert_classifier


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return save_tiny_bert(tmp_path_factory.mktemp("hub_tiny"))


def test_a_directory_with_only_pickle_weights_is_refused_unopened(saved, tmp_path, monkeypatch):
    pickled = tmp_path / "pickled"
    shutil.copytree(saved, pickled)
    (pickled / "model.safetensors").unlink()
    torch.save(tiny_bert_classifier(layers=3).state_dict(), pickled / "pytorch_model.bin")

    def never(*args, **kwargs):
        raise AssertionError("a pickle file was opened")

    monkeypatch.setattr(torch, "load", never)
    msg = one_line_error(wordinfo.load_model, pickled)
    assert "pytorch_model.bin" in msg and "never opens" in msg and "safetensors" in msg
    assert "weights_only" not in msg


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"not a safetensors file at all"],
                         ids=["cut short", "garbage"])
def test_a_damaged_safetensors_file_is_one_line(saved, tmp_path, damage):
    broken = tmp_path / "broken"
    shutil.copytree(saved, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    msg = one_line_error(wordinfo.load_model, broken)
    assert msg.startswith(f"cannot load model from {broken}") and "deserializing header" in msg
