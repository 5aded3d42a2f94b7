"""``wordinfo run``: a directory holding another run, a busy or wrong ``--out``, a too-long sentence: one line, exit
code 2, nothing written."""

from __future__ import annotations

from typer.testing import CliRunner

from helpers.corpus import sentences, write_tsv
from helpers.threads import one_thread
from wordinfo.cli import app, with_optional_values
from wordinfo.runs import run_corpus, store


def test_mismatching_manifest_is_refused(tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "corpus.tsv", sentences(6))
    with one_thread():
        run_corpus(data, tmp_path / "run", model=str(tiny_bert_dir), solver="fast", progress=False, log=lambda m: None)
    before = sorted(p.name for p in store.part_files(tmp_path / "run"))
    base = ["run", "--data", str(data), "--model", str(tiny_bert_dir), "--out", str(tmp_path / "run"), "--no-progress"]
    other = write_tsv(tmp_path / "other.tsv", sentences(6, seed=1))
    for extra, fragments in [(["--solver", "default"], ["settings.solver", "'fast' -> 'default'"]),
                             (["--solver", "fast", "--lam", "0.2"], ["settings.lam"]),
                             (["--solver", "fast", "--layers", "1,2"], ["layers"])]:
        with one_thread():
            result = CliRunner().invoke(app, base + extra)
        lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
        assert result.exit_code == 2, result.output
        assert len(lines) == 1 and "holds a different run" in lines[0] and "--out" in lines[0]
        for f in fragments:
            assert f in lines[0]
    args = ["run", "--data", str(other), "--model", str(tiny_bert_dir), "--out", str(tmp_path / "run"),
            "--solver", "fast"]
    with one_thread():
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "data.hash" in result.stderr
    assert sorted(p.name for p in store.part_files(tmp_path / "run")) == before, "a refused run writes nothing"


def test_bad_out_directories(tmp_path, tiny_bert_dir):
    data = write_tsv(tmp_path / "c.tsv", sentences(3))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    for out, fragment in [(tmp_path / "busy", "not empty"), (tmp_path / "file", "is a file")]:
        result = CliRunner().invoke(app, ["run", "--data", str(data), "--out", str(out), "--model", str(tiny_bert_dir)])
        assert result.exit_code == 2 and fragment in result.stderr, result.stderr


def test_too_long_sentence_fails_before_any_work(tmp_path, tiny_bert_dir):
    d = write_tsv(tmp_path / "d.tsv", ["short one", "word " * 600])
    result = CliRunner().invoke(app, ["run", "--data", str(d), "--out", str(tmp_path / "r"), "--model",
                                      str(tiny_bert_dir), "--solver", "fast"])
    assert result.exit_code == 2
    assert "line 2 of d.tsv" in result.stderr and "--truncate" in result.stderr
    assert store.part_files(tmp_path / "r") == []


def test_ray_alone_on_the_command_line_means_a_local_instance():
    assert with_optional_values(["run", "--ray"]) == ["run", "--ray", "local"]
    assert with_optional_values(["run", "--ray", "--out", "d"]) == ["run", "--ray", "local", "--out", "d"]
    assert with_optional_values(["run", "--ray", "10.0.0.1:6379"]) == ["run", "--ray", "10.0.0.1:6379"]
