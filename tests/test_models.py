"""The native model families (Transformer, LSTM, CNN, seq2seq): checkpoints, the adapter, explain, train.

Models here are a few units wide and trained for seconds; the real trainings are
``wordinfo train`` commands (docs/models.md).
"""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

import wordinfo
from _errors import one_line_error as _error
from wordinfo import WordinfoError
from wordinfo.cli import app
from wordinfo.corpus import read_labelled as read_tsv
from wordinfo.models.checkpoint import build, load_native, save
from wordinfo.models.native import NativeEncoder
from wordinfo.training.data import split_validation
from wordinfo.training.reverse import (
    ReverseTask,
    build_tokenizer,
    ground_truth,
    reverse_text,
)

FAST = {"max_samples": 32, "max_steps": 10}
TEXTS = ["an unbelievably good film", "a long , dull and rather pointless film with a few good moments"]
REV = ["3 1 4 1 5", "9 2 6 5 3 5 8"]

TINY = {
    ("classifier", "transformer"): {"vocab_size": 30522, "embedding_dim": 16, "dim": 16, "heads": 2, "ff": 32,
                                    "layers": 2, "num_labels": 2, "pad_id": 0, "max_length": 64, "pool": "mean"},
    ("classifier", "lstm"): {"vocab_size": 30522, "embedding_dim": 16, "hidden": 8, "layers": 2, "bidirectional": True,
                             "num_labels": 2, "pad_id": 0, "pool": "max"},
    ("classifier", "cnn"): {"vocab_size": 30522, "embedding_dim": 16, "channels": 8, "layers": 3, "num_labels": 2,
                            "pad_id": 0, "pool": "max"},
    ("seq2seq", "lstm"): {"vocab_size": 14, "embedding_dim": 8, "hidden": 8, "layers": 1, "pad_id": 0, "max_steps": 16},
    ("seq2seq", "transformer"): {"vocab_size": 14, "embedding_dim": 8, "dim": 8, "heads": 2, "ff": 16, "layers": 1,
                                 "decoder_layers": 2, "pad_id": 0, "max_length": 20, "max_steps": 16},
}
KEYS = sorted(TINY)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDINFO_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from wordinfo.training.train import minilm_tokenizer
    return minilm_tokenizer()


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, minilm_tokenizer):
    """One saved tiny model per (family, arch): {key: (model, directory)}."""
    out = {}
    for key in KEYS:
        torch.manual_seed(0)
        model = build(*key, TINY[key]).eval()
        if key[0] == "seq2seq":
            tok, task, calib = build_tokenizer(10), "reverse", ReverseTask(vocab_size=10, seed=5).sample(20)
        else:
            tok, task, calib = minilm_tokenizer, "sst2", None
        out[key] = (model, save(tmp_path_factory.mktemp("-".join(key)), model, tok, task, calibration=calib))
    return out


def texts_for(key):
    return REV if key[0] == "seq2seq" else TEXTS


def batch(encoder, texts):
    enc = encoder.tokenize(texts)
    return enc["input_ids"], enc["attention_mask"].bool()


# ---------------------------------------------------------------- checkpoints

@pytest.mark.parametrize("key", KEYS, ids="-".join)
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


# ---------------------------------------------------------------- the adapter

@pytest.mark.parametrize("key", KEYS, ids="-".join)
def test_adapter_reads_the_models_own_states(key, checkpoints):
    """Every target equals the state the model itself computes, layer by layer, for a padded batch."""
    model, path = checkpoints[key]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    ids, mask = batch(enc, texts_for(key))
    assert not bool(mask.all()), "the batch should be padded"
    x = enc.embed(ids)
    with torch.no_grad():
        states, h = [], model.start(x, mask)
        for i in range(model.num_layers):
            h = model.layer(i, h, mask)
            states.append(h)
    targets = enc.targets("all", "tokens")
    for t, out in zip(targets, enc.forward(torch.stack([x] * len(targets)), mask, targets)):
        torch.testing.assert_close(out[mask], states[t.layer - 1][mask])
    if key[0] == "classifier":
        (sentence,), (logits,) = enc.clean_outputs(x, mask, enc.targets("all", "sentence")), \
            enc.clean_outputs(x, mask, enc.targets("all", "logits"))
        torch.testing.assert_close(sentence, model.pool(states[-1], mask))
        with torch.no_grad():
            torch.testing.assert_close(logits, model(ids, mask.long()))
    else:
        targets = enc.targets("all", "decoder:2")
        with torch.no_grad():
            decoded = model.decode(states[-1], mask, 2)
        for t, out in zip(targets, enc.clean_outputs(x, mask, targets)):
            torch.testing.assert_close(out, decoded[t.layer - 1][:, 1])


@pytest.mark.parametrize("key", KEYS, ids="-".join)
def test_padding_never_changes_a_result(key, checkpoints):
    model, path = checkpoints[key]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    kinds = {"classifier": ["tokens", "sentence", "logits"], "seq2seq": ["tokens", "decoder:3"]}[key[0]]
    if key == ("classifier", "lstm"):
        kinds += ["step:2", "step:-1"]
    short, long_ = texts_for(key)
    ids1, mask1 = batch(enc, [short])
    ids2, mask2 = batch(enc, [short, long_])
    n = mask1.shape[1]
    for kind in kinds:
        targets = enc.targets("all", kind)
        alone = enc.clean_outputs(enc.embed(ids1), mask1, targets)
        beside = enc.clean_outputs(enc.embed(ids2), mask2, targets)
        for a, b in zip(alone, beside):
            b = b[:1, :n] if kind == "tokens" else b[:1]
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=lambda m, k=kind: f"{key} {k}: {m}")


def test_lstm_step_target_is_the_state_at_that_token(checkpoints):
    model, path = checkpoints[("classifier", "lstm")]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    ids, mask = batch(enc, TEXTS)
    x = enc.embed(ids)
    tokens = enc.clean_outputs(x, mask, enc.targets("2", "tokens"))[0]
    first = enc.clean_outputs(x, mask, enc.targets("2", "step:1"))[0]
    last = enc.clean_outputs(x, mask, enc.targets("2", "step:-1"))[0]
    torch.testing.assert_close(first, tokens[:, 1])
    lengths = mask.sum(1)
    torch.testing.assert_close(last, tokens[torch.arange(2), lengths - 1])
    assert int(lengths[0]) < int(lengths[1])      # so 'last' is not just one column


TARGETS = {("classifier", "transformer"): ["tokens", "cls", "sentence", "logits"],
           ("classifier", "lstm"): ["tokens", "sentence", "logits", "step:3", "step:-1"],
           ("classifier", "cnn"): ["tokens", "sentence", "logits"],
           ("seq2seq", "lstm"): ["tokens", "decoder:1", "decoder:5"],
           ("seq2seq", "transformer"): ["tokens", "decoder:2"]}


@pytest.mark.parametrize("key, target", [(k, t) for k in KEYS for t in TARGETS[k]], ids=str)
def test_explain_every_family_and_target(key, target, checkpoints):
    model, path = checkpoints[key]
    text = texts_for(key)[0]
    exp = wordinfo.explain(text, str(path), layers="all", target=target, **FAST)
    if target in ("sentence", "logits"):
        assert exp.layers == [target]
    else:
        depth = model.decoder_layers if target.startswith("decoder") else model.num_layers
        assert exp.layers == [str(i) for i in range(1, depth + 1)]
    sigma = exp.sigma[0]
    assert sigma.shape == (len(exp.layers), len(exp.tokens()))
    assert ((sigma > 0) & (sigma <= exp.scale * (1 + 1e-6))).all()
    assert exp.settings["input"].startswith("token embeddings")
    if key[0] == "seq2seq":
        assert exp.words() == ["[CLS]", *text.split(), "[SEP]"]
        assert str(path) in exp.settings["feature_std"]          # the checkpoint's own calibration sample


def test_explain_a_loaded_model_object(checkpoints):
    model, tokenizer = wordinfo.load_model(checkpoints[("classifier", "cnn")][1])
    exp = wordinfo.explain(TEXTS, model, tokenizer, layers=[1, 3], **FAST)
    assert len(exp) == 2 and exp.layers == ["1", "3"]


@pytest.mark.parametrize("key, target, fragment", [
    (("classifier", "cnn"), "step:2", "tokens, sentence, logits"),
    (("classifier", "cnn"), "cls", "cnn"),
    (("classifier", "lstm"), "decoder:1", "step:J"),
    (("classifier", "lstm"), "step:x", "whole number"),
    (("classifier", "lstm"), "step:40", "past the end"),
    (("classifier", "transformer"), "sentence:2", "no ':'"),
    (("seq2seq", "lstm"), "logits", "decoder:J"),
    (("seq2seq", "lstm"), "decoder:0", "from 1"),
    (("seq2seq", "transformer"), "decoder:9", "past the end"),
])
def test_bad_targets_are_one_line_errors(key, target, fragment, checkpoints):
    path = checkpoints[key][1]
    assert fragment in _error(wordinfo.explain, texts_for(key)[0], str(path), target=target, **FAST)


def test_native_adapter_shares_the_encoder_base(checkpoints):
    """Bound, fingerprint and frozen weights come from the base both adapters share."""
    from wordinfo.models.encoder import Encoder
    from wordinfo.models.huggingface import HuggingFaceEncoder
    assert issubclass(HuggingFaceEncoder, Encoder)
    model, path = checkpoints[("classifier", "lstm")]
    enc = NativeEncoder(model, wordinfo.load_model(path)[1], "tiny")
    assert isinstance(enc, Encoder) and enc.width == TINY[("classifier", "lstm")]["embedding_dim"]
    assert enc.default_scale() == pytest.approx(10 * float(model.embedding.weight.detach().std()))
    before, flags = enc.fingerprint(), [p.requires_grad for p in model.parameters()]
    with enc.frozen():
        assert not any(p.requires_grad for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()] == flags and enc.fingerprint() == before
    saved = model.embedding.weight[1, 0].item()
    with torch.no_grad():
        model.embedding.weight[1, 0] = saved + 1.0
        changed = enc.fingerprint()
        model.embedding.weight[1, 0] = saved
    assert changed != before


def test_unknown_word_of_a_closed_vocabulary(checkpoints):
    path = checkpoints[("seq2seq", "lstm")][1]
    msg = _error(wordinfo.explain, "3 1 42", str(path), target="decoder:1", **FAST)
    assert "'42'" in msg and "vocabulary" in msg


# ---------------------------------------------------------------- data

def test_reverse_generator():
    task = ReverseTask(vocab_size=7, seed=3)
    seqs = task.sample(200)
    assert seqs == ReverseTask(vocab_size=7, seed=3).sample(200)
    assert seqs != task.sample(200, stream=1) and seqs != ReverseTask(vocab_size=7, seed=4).sample(200)
    lengths = {len(s.split()) for s in seqs}
    assert min(lengths) == 5 and max(lengths) == 15
    assert {w for s in seqs for w in s.split()} == {str(i) for i in range(7)}
    assert reverse_text("1 2 3 4 5") == "5 4 3 2 1"
    assert [ground_truth(5, j) for j in range(1, 6)] == [5, 4, 3, 2, 1]
    with pytest.raises(WordinfoError):
        ground_truth(5, 6)
    with pytest.raises(WordinfoError):
        ReverseTask(min_length=9, max_length=3)
    tok = build_tokenizer(7)
    enc = tok("6 0 3")
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == ["[CLS]", "6", "0", "3", "[SEP]"]
    assert enc.word_ids() == [None, 0, 1, 2, None]


def test_read_tsv_either_column_order_and_split(tmp_path):
    first = tmp_path / "a.tsv"
    first.write_text("1\ta fine film\n0\ta dull one\n1\tgood\n")
    last = tmp_path / "b.tsv"
    last.write_text("a fine film\t1\na dull one\t0\ngood\t1\n")
    assert read_tsv(first) == read_tsv(last) == (["a fine film", "a dull one", "good"], [1, 0, 1])
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tok\njust text\n")
    assert "line 2" in _error(read_tsv, bad)
    texts, labels = [f"t{i}" for i in range(100)], [i % 2 for i in range(100)]
    (tr, _), (va, _) = split_validation(texts, labels, 0.1)
    assert len(va) == 10 and not set(tr) & set(va) and len(tr) + len(va) == 100
    assert split_validation(texts, labels, 0.1)[1][0] == va


# ---------------------------------------------------------------- training, command line

def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean_error(result, fragment):
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], lines


@pytest.fixture(scope="module")
def tiny_tsv(tmp_path_factory):
    d = tmp_path_factory.mktemp("tsv")
    good = ["a fine film", "wonderful and moving", "the best of the year", "funny , warm and clever"]
    bad = ["a dull film", "boring and slow", "the worst of the year", "flat , cold and stupid"]
    rows = [f"1\t{t}" for t in good * 5] + [f"0\t{t}" for t in bad * 5]
    (d / "train.tsv").write_text("\n".join(rows) + "\n")
    (d / "test.tsv").write_text("\n".join(f"{t}\t{y}" for y, t in (r.split("\t") for r in rows[::3])) + "\n")
    return d


@pytest.mark.parametrize("arch", ["cnn", "bert"])
def test_cli_train_then_explain(arch, tiny_tsv, tmp_path):
    out = tmp_path / arch
    result = invoke("train", "--task", "sst2", "--arch", arch, "--train", tiny_tsv / "train.tsv", "--test",
                    tiny_tsv / "test.tsv", "--out", out, "--epochs", "2", "--batch-size", "8", "--quiet")
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    report = json.loads((out / "metrics.json").read_text())
    assert report["metric"] == "accuracy" and 0 <= report["test"] <= 1 and len(report["validation"]) >= 1
    assert f"test accuracy: {report['test']:.4f}" in result.stdout
    assert report["command"].startswith("wordinfo train --task sst2")
    result = invoke("explain", TEXTS[0], "--model", out, "--layers", "1", "--target", "logits", "--json",
                    "--solver", "fast")
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    assert json.loads(result.stdout)["layers"][0]["layer"] == "logits"


@pytest.mark.parametrize("args, fragment", [
    (["--task", "qqp", "--arch", "lstm"], "qqp"),
    (["--task", "reverse", "--arch", "cnn"], "cnn"),
    (["--task", "sst2", "--arch", "lstm", "--data-dir", "/nonexistent"], "/nonexistent"),
    (["--task", "sst2", "--arch", "lstm", "--vocab-size", "9"], "--vocab-size"),
    (["--task", "reverse", "--arch", "lstm", "--epochs", "0"], "epochs"),
])
def test_cli_train_errors(args, fragment, tmp_path):
    assert_clean_error(invoke("train", *args, "--out", tmp_path / "m", "--quiet"), fragment)


def test_default_recipe_is_the_tasks_own_else_the_archs():
    from wordinfo.training.train import RECIPES, default_recipe
    assert default_recipe("cola", "bert") is RECIPES["cola-bert"]
    assert default_recipe("sst2", "bert") is RECIPES["bert"]
    assert default_recipe("reverse", "lstm") is RECIPES["reverse-lstm"]
    assert default_recipe("cola", "lstm") is RECIPES["lstm"]
    assert RECIPES["cola-bert"].epochs > RECIPES["bert"].epochs


def test_cli_train_bad_tsv(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tfine\n2\tweird label\n")
    result = invoke("train", "--task", "sst2", "--arch", "cnn", "--train", bad, "--test", bad, "--out",
                    tmp_path / "m", "--quiet")
    assert_clean_error(result, "label must be 0 or 1")


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
