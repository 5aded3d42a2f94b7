"""The HTML report (``wordinfo.report.builder``): one self-contained file, every text escaped, with its figures."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from wordinfo import Explanation, WordinfoError
from wordinfo.cli import app
from wordinfo.report import build_report


def test_report_is_self_contained_and_escaped(corpus_runs, tmp_path):
    a, b, exp_json = corpus_runs
    out = build_report([a.path, b.path, exp_json], tmp_path / "r.html", figures=tmp_path / "figs")
    html = out.read_text()
    assert "<script>window.__pwned" not in html                # never raw
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt; a great &amp; &#34;quoted&#34; film" in html
    data = html.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert '"\\u003c"' in data and "<" not in data and json.loads(data)      # the JSON block: '<' escaped
    assert not re.search(r"""<(link|img|iframe)\b|\bsrc\s*=|url\(|@import""", html), "everything must be inline"
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html), "no address but the SVG namespace"
    assert html.count("<script") == 2                          # the data block and the page's own script
    assert sorted(p.name for p in (tmp_path / "figs").iterdir())[:2] == ["curves.png", "heatmap-explained-0.png"]

    exp = Explanation.load(exp_json)
    assert "&lt;script&gt;" in exp._repr_html_() and "<script" not in exp._repr_html_()
    with pytest.raises(WordinfoError, match=".html"):
        build_report([a.path], tmp_path / "r.txt")
    r = CliRunner().invoke(app, ["report", str(a.path), "-o", str(tmp_path / "cli.html"), "--max-sentences", "5"])
    assert r.exit_code == 0 and (tmp_path / "cli.html").exists(), r.output


def test_outputs_that_cannot_be_written_fail_before_the_work(corpus_runs, tmp_path, monkeypatch):
    from helpers.cli import assert_clean_error
    from wordinfo.report import builder
    monkeypatch.setattr(builder, "Workspace", lambda *a, **k: pytest.fail("the runs were read"))
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder.html").mkdir()
    run = str(corpus_runs[0].path)
    for args, fragment in [(["-o", tmp_path / "a-file" / "r.html"], "is a file, not a folder"),
                           (["-o", tmp_path / "a-folder.html"], "it is a folder"),
                           (["-o", tmp_path / "r.html", "--png", tmp_path / "a-file"], "--png"),
                           (["-o", tmp_path / "r.html", "--png", tmp_path / "f", "--figure-format", "gif"], "gif")]:
        assert_clean_error(CliRunner().invoke(app, ["report", run, *map(str, args)]), fragment)
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "f").exists()
