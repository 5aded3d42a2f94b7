"""layer_matrix.py: every layer from every layer below it, as a matrix of mean bits kept."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import wordinfo
from wordinfo.cli import app

TEXT = "a fine and rare film"


def test_the_matrix_is_upper_triangular_and_row_0_is_todays_answer(tiny_bert):
    model, tok = tiny_bert
    matrix = wordinfo.layer_matrix(TEXT, model, tok, calibration="none", solver="fast")
    assert matrix.bits.shape == (2, 3) and matrix.num_layers == 2
    assert np.isnan(matrix.bits[:, 0]).all() and np.isnan(matrix.bits[1, 1])
    assert np.isfinite(matrix.bits[0, 1:]).all() and np.isfinite(matrix.bits[1, 2])
    exp = wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast")
    real = ~np.asarray(exp.word_maps[0].special, bool)
    np.testing.assert_allclose(matrix.bits[0, 1:], exp.word_values("retained_bits")[:, real].mean(1))
    assert matrix.explanations[1].layers == ["2"]
    assert list(matrix.table().columns) == ["to 1", "to 2"]


def test_layer_matrix_refuses_layers_and_non_layer_targets(tiny_bert):
    model, tok = tiny_bert
    with pytest.raises(wordinfo.WordinfoError, match="every pair"):
        wordinfo.layer_matrix(TEXT, model, tok, layers="1")


def test_cli_from_layer_all_json(tiny_bert_dir):
    result = CliRunner().invoke(app, ["explain", TEXT, "--model", str(tiny_bert_dir), "--from-layer", "all",
                                      "--solver", "fast", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    bits = np.array(out["mean_bits_kept"], dtype=float)
    assert bits.shape == (3, 4) and set(out["explanations"]) == {"0", "1", "2"}


def test_cli_from_layer_bad_value_is_one_line():
    result = CliRunner().invoke(app, ["explain", TEXT, "--from-layer", "top"])
    assert result.exit_code == 2 and "--from-layer takes" in result.stderr
