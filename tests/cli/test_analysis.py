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


def test_query_copy_to_a_file_is_refused_and_writes_nothing(corpus_runs, tmp_path):
    from pathlib import Path

    from helpers.cli import assert_clean_error
    run = str(corpus_runs[0].path)
    existed = Path("/tmp/x.csv").exists()
    for target in ("/tmp/x.csv", str(tmp_path / "x.csv")):
        r = CliRunner().invoke(app, ["query", run, f"COPY (SELECT 1) TO '{target}'"])
        assert_clean_error(r, "query refused", "only reads")
    assert Path("/tmp/x.csv").exists() == existed and not (tmp_path / "x.csv").exists()
    assert_clean_error(CliRunner().invoke(app, ["query", run, ""]), "empty query")
    (tmp_path / "a-file").write_text("x")
    assert_clean_error(CliRunner().invoke(app, ["summary", run, "-o", str(tmp_path / "a-file")]), "-o",
                       "is a file, not a folder")


def test_no_file_outside_the_run_directory_changes_during_run_summary_query_and_report(tmp_path, tiny_bert_dir,
                                                                                      monkeypatch):
    """Everything a command could touch by accident (the working directory, HOME, TMPDIR, the data, the model, the
    calibration cache once warm) is compared, file by file and byte by byte, before and after: only the run
    directory and the report asked for change."""
    import hashlib
    import tempfile

    from helpers.corpus import sentences, write_tsv
    from helpers.threads import one_thread
    world = tmp_path / "world"
    for d in ("home", "tmp", "cwd", "cache"):
        (world / d).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(world / "home"))
    monkeypatch.setenv("TMPDIR", str(world / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(world / "tmp"))
    monkeypatch.setenv("WORDINFO_CACHE", str(world / "cache"))
    monkeypatch.chdir(world / "cwd")
    data = write_tsv(world / "corpus.tsv", sentences(6))
    base = ["--data", str(data), "--model", str(tiny_bert_dir), "--solver", "fast", "--part-size", "2",
            "--no-progress"]
    with one_thread():      # warms the calibration cache: the one file outside a run that `run` may write
        assert CliRunner().invoke(app, ["run", *base, "--out", str(world / "warm")]).exit_code == 0

    def snapshot():
        out = {}
        for root in (world, tiny_bert_dir):
            for p in sorted(root.rglob("*")):
                if world / "run" in p.parents or p == world / "run" or p == world / "report.html":
                    continue
                out[p] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
        return out

    before = snapshot()
    run = str(world / "run")
    with one_thread():
        for args in (["run", *base, "--out", run], ["run", *base, "--out", run],      # a run, then a resume
                     ["summary", run], ["query", run, "SELECT * FROM words ORDER BY bits DESC"],
                     ["report", run, "-o", str(world / "report.html")]):
            r = CliRunner().invoke(app, args)
            assert r.exit_code == 0, (args, r.output)
            assert snapshot() == before, f"{args[0]} changed a file outside the run directory"
    assert (world / "report.html").is_file()
