"""Training (``wordinfo.training.train``): the recipes, and a tiny reverse model that learns in seconds."""

from __future__ import annotations

import pytest

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
