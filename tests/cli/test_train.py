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
