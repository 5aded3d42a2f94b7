"""``wordinfo evaluate`` end to end on a tiny classifier: table, CSV, JSON and figures; bad input as one line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers.models import save_with_tokenizer, tiny_bert_classifier


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    """A random two-layer BERT classifier with the bundled tokenizer."""
    return save_with_tokenizer(tiny_bert_classifier(), tmp_path_factory.mktemp("tiny_classifier"))


def test_cli_evaluate_writes_table_csv_json_and_figures(classifier_dir, tmp_path, monkeypatch):
    from wordinfo.cli import app
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = tmp_path / "d.tsv"
    data.write_text("1\ta fine , funny film\n0\tdull and far too long\n1\tgood\n0\tnot good at all\n")
    out = tmp_path / "eval"
    result = CliRunner().invoke(app, ["evaluate", "--model", str(classifier_dir), "--data", str(data), "--n", "3",
                                      "--methods", "saliency,erasure,attention,lrp,random", "--out", str(out),
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    assert "saliency" in result.stdout and "deletion" in result.stdout and "LayerNorm" in result.stdout
    res = json.loads((out / "results.json").read_text())
    assert res["settings"]["sentences"] == 3 and set(res["methods"]) == {"saliency", "erasure", "attention", "lrp",
                                                                         "random"}
    assert -1 <= res["methods"]["erasure"]["faithfulness"]["deletion_aopc"] <= 1
    assert res["methods"]["saliency"]["layer_coherency"]["sentences"] == 3
    assert (out / "results.csv").read_text().count("\n") == 6
    assert (out / "faithfulness.png").stat().st_size > 0 and (out / "coherency.png").stat().st_size > 0


@pytest.mark.parametrize("args, fragment", [
    (["--data", "/nonexistent.tsv"], "not found"),
    (["--methods", "gradcam"], "unknown method"),
    (["--seeds", "0"], "--seeds"),
    (["--part", "2"], "--part takes I/K"),
    (["--threads", "0"], "--threads"),
])
def test_cli_evaluate_bad_input_is_one_line(classifier_dir, tmp_path, args, fragment):
    from wordinfo.cli import app
    data = tmp_path / "d.txt"
    data.write_text("a fine film\ndull\n")
    base = {"--model": str(classifier_dir), "--data": str(data), "--out": str(tmp_path / "o")}
    base.update(dict(zip(args[::2], args[1::2])))
    result = CliRunner().invoke(app, ["evaluate", *[v for kv in base.items() for v in kv], "--quiet"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0]
