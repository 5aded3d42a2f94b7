"""``wordinfo bench``: a missing data file is one clear line."""

from __future__ import annotations

from typer.testing import CliRunner

from wordinfo.cli import app


def test_bench_cli_errors_cleanly_on_missing_data(tmp_path):
    result = CliRunner().invoke(app, ["bench", "--quick", "--data", str(tmp_path / "none.tsv")])
    assert result.exit_code == 2
    assert "not found" in result.output and "Traceback" not in result.output
