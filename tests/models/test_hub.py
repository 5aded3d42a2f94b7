"""Where Hugging Face models come from (``wordinfo.models.hub``): the name a result carries loads its model back; a
model directory whose weights are pickle files is refused before anything opens them, a damaged safetensors file
is one line."""

from __future__ import annotations

import shutil

import pytest
import torch

import wordinfo
from helpers.errors import one_line_error
from helpers.models import save_tiny_bert, tiny_bert_classifier
from wordinfo.models import hub


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


def test_the_bundled_models_shown_name_loads_it_back(monkeypatch, tiny_bert_dir):
    """An explanation of 'minilm' is named 'minilm (all-MiniLM-L6-v2)'; that name loads the bundled model again
    (here a tiny stand-in), so that a result's model can be found from the result (``Explanation.with_concept``)."""
    monkeypatch.setattr(hub, "bundled_model_path", lambda: str(tiny_bert_dir))
    for name in (hub.BUNDLED, hub.BUNDLED_NAME, None):
        model, tokenizer, shown = hub.load_pretrained(name)
        assert shown == hub.BUNDLED_NAME and model.config.hidden_size == 32 and tokenizer.is_fast
