"""``wordinfo train``: a tiny model trained then explained, and bad options or data as one-line errors."""

from __future__ import annotations

import json

import pytest

from helpers.cli import assert_error_line as assert_clean_error
from helpers.cli import invoke
from helpers.models import NATIVE_TEXTS as TEXTS

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


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


def test_cli_train_bad_tsv(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tfine\n2\tweird label\n")
    result = invoke("train", "--task", "sst2", "--arch", "cnn", "--train", bad, "--test", bad, "--out",
                    tmp_path / "m", "--quiet")
    assert_clean_error(result, "label must be 0 or 1")


def _train_args(tiny_tsv, out, *extra):
    return ["train", "--task", "sst2", "--arch", "cnn", "--train", tiny_tsv / "train.tsv", "--test",
            tiny_tsv / "test.tsv", "--out", out, "--epochs", "2", "--batch-size", "8", "--quiet", *extra]


def test_cli_train_with_a_probe_then_the_per_epoch_summary(tiny_tsv, tmp_path):
    probe = tmp_path / "probe.txt"
    sentences = TEXTS + ["a fine film", "boring and slow"]
    probe.write_text("\n".join(sentences) + "\n")
    out = tmp_path / "cnn"
    result = invoke(*_train_args(tiny_tsv, out, "--probe", probe, "--probe-layers", "1,3", "--probe-solver", "fast"))
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    assert "probe runs of epochs 0-2" in result.stdout
    report = json.loads((out / "metrics.json").read_text())
    assert report["probe"]["epochs"] == [0, 1, 2] and report["command"].count("--probe") == 3
    result = invoke("summary", out / "probe", "--table", "epochs", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["epochs"]
    assert [(r["epoch"], r["layer"]) for r in rows] == [(e, la) for e in range(3) for la in (1, 3)]
    words = sum(len(t.split()) for t in sentences)          # every word of the probe set, at each layer and epoch
    assert all(r["series"] == out.name and r["words"] == words and r["kept"] > 0 for r in rows)


def test_cli_train_probe_errors_come_before_training(tiny_tsv, tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    (tmp_path / "long.txt").write_text("a fine film\n" + " ".join(["word"] * 200) + "\n")
    for probe, fragment in ((tmp_path / "missing.txt", "not found"), (tmp_path / "empty.txt", "no sentences"),
                            (tmp_path / "long.txt", "probe sentence 2 of long.txt is 202 tokens long")):
        result = invoke(*_train_args(tiny_tsv, tmp_path / "m", "--probe", probe))
        assert_clean_error(result, fragment)
        assert "epoch 1" not in result.stdout and not (tmp_path / "m" / "metrics.json").exists()
    assert_clean_error(invoke(*_train_args(tiny_tsv, tmp_path / "m", "--probe-solver", "fast")), "need --probe FILE")


def test_cli_train_refuses_a_probe_folder_of_another_training(tiny_tsv, tmp_path):
    probe = tmp_path / "probe.txt"
    probe.write_text("a fine film\nboring and slow\n")
    out = tmp_path / "m"
    first = invoke(*_train_args(tiny_tsv, out, "--probe", probe, "--probe-solver", "fast", "--epochs", "1"))
    assert first.exit_code == 0, first.output
    written = (out / "metrics.json").read_text()
    again = invoke(*_train_args(tiny_tsv, out, "--probe", probe, "--probe-solver", "fast", "--epochs", "1", "--lr",
                                "0.01"))
    assert_clean_error(again, "holds the probe runs of another training")
    assert not again.stdout.strip() and (out / "metrics.json").read_text() == written
