"""A finished run read back (``wordinfo.runs.result.Run``): its state, SQL over it, its notebook view (escaped)."""

from __future__ import annotations

from wordinfo.runs import Run


def test_run_object(corpus_runs):
    a = Run(corpus_runs[0].path)
    assert "tiny-all" in repr(a) and a.complete and a.done == 24
    assert a.sql("SELECT count(DISTINCT sentence) AS n FROM tokens")["n"][0] == 24
    html = a._repr_html_()
    assert "&lt;script&gt;window.__pwned" in html and "<script" not in html
    assert "bits kept" in html
