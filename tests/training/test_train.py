"""Training (``wordinfo.training.train``): the recipes, and a tiny reverse model that learns in seconds."""

from __future__ import annotations

import json

import pytest
import torch

import wordinfo
from helpers.models import FAST
from wordinfo.training.reverse import ground_truth

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


def test_default_recipe_is_the_tasks_own_else_the_archs():
    from wordinfo.training.train import RECIPES, default_recipe
    assert default_recipe("cola", "bert") is RECIPES["cola-bert"]
    assert default_recipe("sst2", "bert") is RECIPES["bert"]
    assert default_recipe("reverse", "lstm") is RECIPES["reverse-lstm"]
    assert default_recipe("cola", "lstm") is RECIPES["lstm"]
    assert RECIPES["cola-bert"].epochs > RECIPES["bert"].epochs


def test_tiny_reverse_model_learns_and_explains_the_right_word(tmp_path):
    """Trained for seconds, the LSTM encoder-decoder reverses; its decoder state at step j keeps word n-j+1 most."""
    from wordinfo.training.train import train
    report = train("reverse", "lstm", tmp_path / "rev", seed=0, progress=False, log=lambda m: None,
                   model={"embedding_dim": 16, "hidden": 32, "layers": 1, "dropout": 0.0},
                   reverse={"vocab_size": 8, "min_length": 4, "max_length": 6, "train_size": 3000, "val_size": 200,
                            "test_size": 300},
                   recipe={"epochs": 12, "batch_size": 32, "lr": 1e-2, "patience": 3})
    assert report["test"] >= 0.9, report
    text = "5 2 7 0 3"
    n = 5
    hits = 0
    for j in range(1, n + 1):
        exp = wordinfo.explain(text, str(tmp_path / "rev"), layers="2", target=f"decoder:{j}", **FAST)
        kept = exp.word_values("retained_bits")[0][1:-1]           # the words, without [CLS] and [SEP]
        hits += int(kept.argmax()) + 1 == ground_truth(n, j)
    assert hits >= 4, f"the right word is kept most at only {hits} of {n} steps"


REVERSE_TINY = dict(model={"embedding_dim": 8, "hidden": 8, "layers": 2, "dropout": 0.3},
                    reverse={"vocab_size": 10, "train_size": 200, "val_size": 50, "test_size": 50},
                    recipe={"epochs": 3, "batch_size": 32, "lr": 1e-2, "patience": 5})


def test_probe_explains_every_epoch_and_leaves_the_training_as_it_was(tmp_path):
    """The same seed gives the same weights and metrics with and without --probe (dropout draws from torch's
    generator, so a probe that moved it would change them); one run per epoch, 0 being the untrained model."""
    from safetensors.torch import load_file

    from wordinfo.training.train import train
    (tmp_path / "probe.txt").write_text("3 1 4 1 5\n9 2 6 5\n2 7 1 8 2 8\n1 4 1\n")
    plain = train("reverse", "lstm", tmp_path / "plain", seed=0, progress=False, log=lambda m: None, **REVERSE_TINY)
    lines = []
    probed = train("reverse", "lstm", tmp_path / "probed", seed=0, progress=False, log=lines.append,
                   probe=tmp_path / "probe.txt", probe_options={"solver": "fast"}, **REVERSE_TINY)
    for key in ("validation", "best_epoch", "best_validation", "test", "sequence_accuracy"):
        assert probed[key] == plain[key], key
    a, b = load_file(str(tmp_path / "plain" / "model.safetensors")), load_file(str(tmp_path / "probed" /
                                                                                   "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert len(set(plain["validation"])) > 1, "the tiny model should learn, so that the epochs differ"
    folder = tmp_path / "probed" / "probe"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["epoch-0", "epoch-1", "epoch-2", "epoch-3"]
    fingerprints = set()
    for epoch in range(4):
        run = wordinfo.open_run(folder / f"epoch-{epoch}")
        assert run.manifest["epoch"] == epoch and run.complete and run.done == 4
        assert run.manifest["probe"]["identity"]["training"]["task"] == "reverse"
        fingerprints.add(run.manifest["model"]["fingerprint"])
    assert len(fingerprints) == 4, "each epoch's run explains that epoch's weights"
    report = json.loads((tmp_path / "probed" / "metrics.json").read_text())
    assert report["probe"]["epochs"] == [0, 1, 2, 3] and report["probe"]["wall_time_s"] > 0
    assert report["probe"]["solver"] == "fast" and "wall_time_s" in report
    assert any(line.startswith("probe: epoch 0") for line in lines)
    assert lines.index(next(x for x in lines if x.startswith("probe: epoch 0"))) < \
        lines.index(next(x for x in lines if x.startswith("epoch 1:")))
