"""Native checkpoints (``wordinfo.models.checkpoint``): saved without pickle, loaded to identical outputs; a
damaged or mismatching directory is a one-line error."""

from __future__ import annotations

import json

import pytest
import torch

import wordinfo
from helpers.errors import one_line_error as _error
from helpers.models import NATIVE_KEYS
from helpers.models import native_texts as texts_for
from wordinfo.models.checkpoint import load_native

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


@pytest.mark.parametrize("key", NATIVE_KEYS, ids="-".join)
def test_checkpoint_round_trip_gives_identical_outputs(key, checkpoints):
    model, path = checkpoints[key]
    files = {p.name for p in path.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= files
    assert not [f for f in files if f.endswith((".bin", ".pt", ".pth", ".pkl"))], files
    config = json.loads((path / "config.json").read_text())
    assert (config["format"], config["family"], config["arch"]) == ("wordinfo", *key)

    loaded, tokenizer = wordinfo.load_model(path)
    assert type(loaded) is type(model) and not loaded.training
    enc = tokenizer(texts_for(key), padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(model(enc["input_ids"], enc["attention_mask"]),
                           loaded(enc["input_ids"], enc["attention_mask"]))


def test_load_errors_are_one_line(tmp_path, checkpoints):
    _, good = checkpoints[("classifier", "cnn")]
    assert "not found" in _error(wordinfo.load_model, tmp_path / "nothing")

    def broken(name, edit):
        d = tmp_path / name
        d.mkdir()
        for f in good.iterdir():
            (d / f.name).write_bytes(f.read_bytes())
        edit(d)
        return d

    config = json.loads((good / "config.json").read_text())
    no_weights = broken("no-weights", lambda d: (d / "model.safetensors").unlink())
    assert "model.safetensors" in _error(load_native, no_weights)
    damaged = broken("damaged", lambda d: (d / "model.safetensors").write_bytes(b"not a safetensors file"))
    assert "cannot read" in _error(wordinfo.load_model, damaged)
    other = {**config, "model": {**config["model"], "channels": 4}}
    mismatch = broken("mismatch", lambda d: (d / "config.json").write_text(json.dumps(other)))
    assert "does not match" in _error(wordinfo.load_model, mismatch)
    unknown = broken("unknown", lambda d: (d / "config.json").write_text(json.dumps({**config, "arch": "gru"})))
    assert "gru" in _error(wordinfo.load_model, unknown)
