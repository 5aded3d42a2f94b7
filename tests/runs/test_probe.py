"""Probe runs (``wordinfo.runs.probe``): a probe set explained with an in-memory model of every family into one run
per epoch, the training left undisturbed, and the bad inputs refused before the first epoch's work."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from helpers.models import FAST, NATIVE, minilm_tokenizer, tiny_bert_classifier
from wordinfo.errors import WordinfoError
from wordinfo.runs import Run
from wordinfo.runs.probe import Probe, undisturbed

pytestmark = pytest.mark.usefixtures("fresh_cache")

WORDS = ["a fine film", "a dull film , really", "wonderful and moving", "boring and slow"]
DIGITS = ["3 1 4 1 5", "9 2 6 5", "2 7 1 8 2 8", "1 4 1"]


def _family(kind):
    """``(model, tokenizer, sentences, calibration)`` of a tiny random model of one family."""
    from wordinfo.models.checkpoint import build
    from wordinfo.training.reverse import ReverseTask, build_tokenizer
    torch.manual_seed(0)
    if kind == "bert":
        return tiny_bert_classifier(layers=2), minilm_tokenizer(), WORDS, None
    if kind == "seq2seq":
        calibration = ReverseTask(vocab_size=10, seed=5).sample(20)
        return build("seq2seq", "lstm", NATIVE[("seq2seq", "lstm")]), build_tokenizer(10), DIGITS, calibration
    return build("classifier", kind, NATIVE[("classifier", kind)]), minilm_tokenizer(), WORDS, None


def _probe(out, sentences=WORDS, training=None, **options):
    return Probe(sentences, out, name="tiny", training={"seed": 0} if training is None else training, **FAST,
                 **options)


@pytest.mark.parametrize("kind", ["bert", "lstm", "transformer", "seq2seq"])
def test_every_family_explained_in_memory_into_one_run_per_epoch(kind, tmp_path):
    model, tokenizer, sentences, calibration = _family(kind)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flags = [p.requires_grad for p in model.parameters()]
    probe = _probe(tmp_path / "probe", sentences)
    probe.begin(model, tokenizer, calibration)
    for epoch in (0, 1):
        run = probe.explain(epoch, model)
        assert run.path == tmp_path / "probe" / f"epoch-{epoch}" and run.complete and run.done == 4
        manifest = json.loads((run.path / "manifest.json").read_text())
        assert manifest["epoch"] == epoch and manifest["probe"]["epoch"] == epoch
        assert manifest["model"]["name"] == f"tiny epoch {epoch}" and manifest["probe"]["name"] == "tiny"
        assert Run(run.path).sql("SELECT count(DISTINCT sentence) AS n FROM words")["n"].iloc[0] == 4
    # the model as it was found: train mode, same weights, same flags, no gradient
    assert model.training and all(m.training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    assert probe.report()["epochs"] == [0, 1] and probe.report()["wall_time_s"] > 0


def test_undisturbed_restores_generators_modes_flags_and_grad_mode():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    model.train()
    model[0].eval()                          # modules in different modes stay so
    model[0].bias.requires_grad_(False)
    torch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    with undisturbed(model):
        torch.rand(5), random.random(), np.random.rand(4)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(True)
        torch.set_grad_enabled(False)
    got = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(got[0], expected[0]) and got[1:] == expected[1:]
    assert model.training and model[1].training and not model[0].training
    assert model[0].weight.requires_grad and not model[0].bias.requires_grad
    assert torch.is_grad_enabled()


def test_the_same_training_again_resumes_and_another_is_refused(tmp_path):
    model, tokenizer, _, _ = _family("bert")
    probe = _probe(tmp_path / "probe")
    probe.begin(model, tokenizer)
    first = probe.explain(0, model)
    parts = sorted(p.name for p in first.files())
    again = _probe(tmp_path / "probe")              # the same command: its epoch 0 is there already
    again.begin(model, tokenizer)
    assert sorted(p.name for p in again.explain(0, model).files()) == parts
    with pytest.raises(WordinfoError, match="another training or probe set .*training"):
        _probe(tmp_path / "probe", training={"seed": 1})
    with pytest.raises(WordinfoError, match="differs in: .*layers"):
        _probe(tmp_path / "probe", layers="1")


def test_a_later_epoch_that_fails_is_recorded_and_the_training_goes_on(tmp_path):
    model, tokenizer, _, _ = _family("bert")
    warned = []
    probe = _probe(tmp_path / "probe", warn=warned.append)
    probe.begin(model, tokenizer)
    assert probe.explain(0, model) is not None
    with torch.no_grad():
        model.bert.encoder.layer[0].output.dense.weight.fill_(float("nan"))
    assert probe.explain(1, model) is None
    assert "1" in probe.report()["failed"] and "NaN" in probe.report()["failed"]["1"]
    assert warned and warned[0].startswith("probe: epoch 1 not explained")


def test_nan_before_training_is_an_error(tmp_path):
    model, tokenizer, _, _ = _family("bert")
    with torch.no_grad():
        model.bert.encoder.layer[0].output.dense.weight.fill_(float("nan"))
    probe = _probe(tmp_path / "probe")
    probe.begin(model, tokenizer)
    with pytest.raises(WordinfoError, match="NaN"):
        probe.explain(0, model)


def test_a_list_of_sentences_is_written_as_the_probe_file(tmp_path):
    model, tokenizer, _, _ = _family("bert")
    probe = _probe(tmp_path / "probe", [f"  {s} " for s in WORDS])
    probe.begin(model, tokenizer)
    assert (tmp_path / "probe" / "probe.txt").read_text().splitlines() == WORDS
    run = probe.explain(0, model)
    assert run.sql("SELECT DISTINCT text FROM sentences ORDER BY text")["text"].tolist() == sorted(WORDS)


@pytest.mark.parametrize("sentences, fragment", [
    ("missing.txt", "not found"),
    ("empty.txt", "has no sentences"),
    ([], "empty"),
    (["a good film", "  "], "probe sentence 2"),
])
def test_a_bad_probe_set_is_one_line(sentences, fragment, tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    if isinstance(sentences, str):
        sentences = tmp_path / sentences
    with pytest.raises(WordinfoError, match=fragment) as e:
        _probe(tmp_path / "probe", sentences)
    assert "\n" not in str(e.value)


def test_bad_folders_and_options_are_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WordinfoError, match="is a file"):
        _probe(tmp_path / "file")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(WordinfoError, match="'notes.txt', which is not a probe run"):
        _probe(tmp_path / "other")
    with pytest.raises(WordinfoError, match="sets 'workers' itself"):
        _probe(tmp_path / "probe", workers=2)
    with pytest.raises(WordinfoError, match="no_such_option"):
        _probe(tmp_path / "probe", no_such_option=1)


def test_a_sentence_too_long_or_outside_the_vocabulary_is_refused_before_any_work(tmp_path):
    model = tiny_bert_classifier(layers=1, max_position_embeddings=8)
    probe = _probe(tmp_path / "probe", ["a good film", "a long , long , long and slow film"])
    with pytest.raises(WordinfoError, match="probe sentence 2 of the probe set is 11 tokens long .* at most 8"):
        probe.begin(model, minilm_tokenizer())
    seq2seq, tokenizer, _, calibration = _family("seq2seq")
    probe = _probe(tmp_path / "digits", ["3 1 4", "3 1 44"])
    with pytest.raises(WordinfoError, match="probe sentence 2 of the probe set: "):
        probe.begin(seq2seq, tokenizer, calibration)
    assert not (tmp_path / "probe").exists() and not (tmp_path / "digits").exists()
