"""``InformationCallback`` (``wordinfo.integrations.trainer``) in a real ``transformers.Trainer`` run on a tiny random
BERT: one run directory per epoch, ``wordinfo summary`` over them, and the same training with and without it."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch

from helpers.cli import invoke
from helpers.models import FAST, minilm_tokenizer
from wordinfo.errors import WordinfoError

pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate: pip install -e '.[dev]'")

pytestmark = pytest.mark.usefixtures("fresh_cache")

PROBE = ["a fine film", "a dull film , really", "wonderful and moving", "boring and slow"]
TRAIN = [("a fine film", 1), ("a dull film", 0), ("wonderful and moving", 1), ("boring and slow", 0),
         ("the best of the year", 1), ("the worst of the year", 0), ("funny , warm and clever", 1),
         ("flat , cold and stupid", 0)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny random BERT for sequence classification, built from AutoConfig and saved as a model directory."""
    import transformers
    config = transformers.AutoConfig.for_model("bert", vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                               num_attention_heads=2, intermediate_size=64, num_labels=2)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny_bert_classifier")
    transformers.AutoModelForSequenceClassification.from_config(config).save_pretrained(folder)
    return folder


class Spy:
    """A callback after the one under test: what the Trainer's model and generators look like at each event."""

    def __init__(self):
        import transformers
        self.seen = []
        spy = self

        class _Spy(transformers.TrainerCallback):
            def on_train_begin(self, args, state, control, model=None, **kwargs):
                spy.record("begin", model)

            def on_epoch_end(self, args, state, control, model=None, **kwargs):
                spy.record(f"epoch {state.epoch}", model)

        self.callback = _Spy()

    def record(self, event, model):
        import random
        self.seen.append((event, model.training, str(next(model.parameters()).device),
                          torch.get_rng_state().tolist(), random.getstate()))


def _train(model_dir, tmp_path, callback=None):
    """Two epochs of a real Trainer, CPU only: (metrics, final weights, what the spy saw)."""
    import transformers
    tokenizer = minilm_tokenizer()
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir)
    args = transformers.TrainingArguments(output_dir=str(tmp_path / "trainer"), use_cpu=True, report_to=[],
                                          num_train_epochs=2, per_device_train_batch_size=4, learning_rate=1e-2,
                                          save_strategy="no", logging_strategy="no", disable_tqdm=True, seed=0)
    data = [dict(tokenizer(text), labels=label) for text, label in TRAIN]
    spy = Spy()
    trainer = transformers.Trainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                                   data_collator=transformers.DataCollatorWithPadding(tokenizer),
                                   callbacks=[c for c in (callback, spy.callback) if c is not None])
    metrics = trainer.train().metrics
    metrics = {k: v for k, v in metrics.items() if "runtime" not in k and "per_second" not in k}
    return metrics, {k: v.detach().clone() for k, v in model.state_dict().items()}, spy.seen


def test_a_real_trainer_run_gives_one_run_per_epoch_and_the_same_training(model_dir, tmp_path):
    import transformers

    from wordinfo.integrations import InformationCallback
    initial = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).state_dict()
    plain_metrics, plain_weights, plain_seen = _train(model_dir, tmp_path / "plain")
    callback = InformationCallback(PROBE, tmp_path / "info", layers="all", **FAST)
    metrics, weights, seen = _train(model_dir, tmp_path / "probed", callback)

    assert metrics == plain_metrics and metrics["epoch"] == 2
    assert all(torch.equal(weights[k], plain_weights[k]) for k in plain_weights)
    assert not all(torch.equal(weights[k], initial[k]) for k in initial), "the tiny model should have trained"
    # after the callback, the model is in the mode and on the device it was, the generators where they were
    assert seen == plain_seen and [s[0] for s in seen] == ["begin", "epoch 1.0", "epoch 2.0"]

    runs = sorted((tmp_path / "info").glob("epoch-*"))
    assert [r.name for r in runs] == ["epoch-0", "epoch-1", "epoch-2"]
    manifests = [json.loads((r / "manifest.json").read_text()) for r in runs]
    assert [m["epoch"] for m in manifests] == [0, 1, 2] and [m["probe"]["step"] for m in manifests] == [0, 2, 4]
    assert len({m["model"]["fingerprint"] for m in manifests}) == 3
    assert manifests[0]["probe"]["identity"]["training"]["learning_rate"] == 1e-2
    assert callback.report()["epochs"] == [0, 1, 2] and callback.report()["sentences"] == 4

    result = invoke("summary", *runs, "--table", "epochs", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["epochs"]
    assert [(r["epoch"], r["layer"]) for r in rows] == [(e, layer) for e in range(3) for layer in (1, 2)]
    assert all(math.isfinite(r["kept"]) and math.isfinite(r["kept_se"]) and r["words"] == 14 for r in rows)
    shown = invoke("summary", *runs)
    assert shown.exit_code == 0 and "epochs" in shown.stdout and "series" in shown.stdout


def _state(epoch, step):
    return SimpleNamespace(epoch=float(epoch), global_step=step, is_world_process_zero=True)


def test_every_second_epoch_and_the_last_with_the_model_left_as_found(model_dir, tmp_path):
    import transformers

    from wordinfo.integrations import InformationCallback
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).train()
    callback = InformationCallback(PROBE, tmp_path / "info", layers="2", every=2, name="tiny", **FAST)
    args = SimpleNamespace(seed=0, learning_rate=1e-3)
    callback.on_train_begin(args, _state(0, 0), None, model=model, processing_class=minilm_tokenizer())
    for epoch in (1, 2, 3):
        callback.on_epoch_end(args, _state(epoch, 2 * epoch), None, model=model)
        assert model.training
    callback.on_train_end(args, _state(3, 6), None, model=model)
    assert sorted(p.name for p in (tmp_path / "info").glob("epoch-*")) == ["epoch-0", "epoch-2", "epoch-3"]
    manifest = json.loads((tmp_path / "info" / "epoch-3" / "manifest.json").read_text())
    assert manifest["layers"] == ["2"] and manifest["probe"]["name"] == "tiny"
    assert manifest["probe"]["trainer_epoch"] == 3.0 and manifest["model"]["name"] == "tiny epoch 3"


def test_bad_callbacks_are_one_line_before_training(model_dir, tmp_path):
    import transformers

    from wordinfo.integrations import InformationCallback
    for every in (0, "step", True):
        with pytest.raises(WordinfoError, match="every="):
            InformationCallback(PROBE, tmp_path / "a", every=every)
    with pytest.raises(WordinfoError, match="not found"):
        InformationCallback(tmp_path / "missing.txt", tmp_path / "a")
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir)
    callback = InformationCallback(PROBE, tmp_path / "b", **FAST)
    with pytest.raises(WordinfoError, match="needs the model's tokenizer"):
        callback.on_train_begin(SimpleNamespace(), _state(0, 0), None, model=model, processing_class=None)
    assert not (tmp_path / "b").exists()
