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


def test_the_matrix_saves_loads_and_reports(tiny_bert, tmp_path):
    model, tok = tiny_bert
    matrix = wordinfo.layer_matrix([TEXT, "a dull film"], model, tok, calibration="none", solver="fast")
    back = wordinfo.LayerMatrix.load(matrix.save(tmp_path / "m.json"))
    np.testing.assert_array_equal(np.isnan(back.bits), np.isnan(matrix.bits))
    np.testing.assert_allclose(back.bits[np.isfinite(back.bits)], matrix.bits[np.isfinite(matrix.bits)])
    html = matrix.report(tmp_path / "m.html").read_text()
    assert 'id="matrix"' in html and "from \\ to" in html
    # the summary's matrix table is what the matrix holds
    from wordinfo.summary import summarize
    table = summarize([tmp_path / "m.json"], tables=["matrix"])["matrix"]
    row = table.query("from_layer == 1 and layer == 2").iloc[0]
    assert row["kept"] == pytest.approx(matrix.bits[1, 2]) and row["kept_se"] == pytest.approx(matrix.bits_se[1, 2])


def test_runs_from_several_layers_make_the_reports_matrix(tiny_bert_dir, tmp_path):
    """Two runs of one model, --from-layer 0 and 1: Parquet carries from_layer; the report and summary show the matrix,
    and a single run's report does not."""
    import pyarrow.parquet as pq

    from helpers.corpus import sentences, write_tsv
    from helpers.threads import one_thread
    from wordinfo.runs import run_corpus, store
    from wordinfo.summary import summarize
    data = write_tsv(tmp_path / "c.tsv", sentences(4))
    with one_thread():
        runs = [run_corpus(data, tmp_path / f"from{a}", model=str(tiny_bert_dir), from_layer=a, solver="fast",
                           progress=False, log=lambda m: None) for a in (0, 1)]
    column = pq.read_table(store.part_files(runs[1].path)[0], columns=["from_layer"]).column("from_layer")
    assert set(column.to_pylist()) == {1}
    table = summarize(runs)["matrix"]
    assert sorted(set(zip(table["from_layer"], table["layer"]))) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)]
    assert 'id="matrix"' in wordinfo.report.build_report(runs, tmp_path / "r.html").read_text()
    assert 'id="matrix"' not in wordinfo.report.build_report(runs[:1], tmp_path / "one.html").read_text()
    assert "matrix" not in summarize(runs[:1])
