"""``wordinfo summary`` and ``wordinfo query`` over corpus runs and explain --json files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from wordinfo.cli import app


def test_summary_and_query_commands(corpus_runs, tmp_path):
    a, b, exp_json = corpus_runs
    r = CliRunner().invoke(app, ["summary", str(a.path), str(b.path), "--format", "json", "--min-count", "2"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) >= {"layers", "categories", "words", "forgetting", "forgetting_words"}
    r = CliRunner().invoke(app, ["summary", str(a.path), "--format", "csv", "--table", "layers"])
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == "layer,words,bits,kept"
    r = CliRunner().invoke(app, ["summary", str(a.path), "--format", "markdown", "-o", str(tmp_path / "md")])
    assert r.exit_code == 0 and (tmp_path / "md" / "categories.md").read_text().startswith("| run | layer |")
    r = CliRunner().invoke(app, ["summary", str(a.path), "--table", "layers"])          # terminal table
    assert r.exit_code == 0 and "kept" in r.stdout
    r = CliRunner().invoke(app, ["summary", str(exp_json), "--table", "layers", "--format", "csv"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 1 + 3

    sql = "SELECT run, count(*) AS n FROM sentences GROUP BY run ORDER BY run"
    r = CliRunner().invoke(app, ["query", str(a.path), str(b.path), sql, "--format", "csv"])
    assert r.exit_code == 0 and r.stdout.split() == ["run,n", "tiny-1-3,24", "tiny-all,24"]
    for args, fragment in [([str(a.path), "SELECT nope FROM words"], "nope"),
                           (["SELECT 1"], "run directories"),
                           ([str(a.path / "missing"), "SELECT 1"], "not found")]:
        r = CliRunner().invoke(app, ["query", *args])
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0]
