"""``wordinfo summary``, ``query`` and ``report``: DuckDB tables, escaping, and the page in headless Chromium."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from _corpus import SCRIPT, one_thread, save_tiny_bert, sentences, write_tsv
from wordinfo import Explanation, WordinfoError
from wordinfo.cli import app
from wordinfo.report import build_report
from wordinfo.report.browser import find_chromium
from wordinfo.runs import Run, run_corpus
from wordinfo.summary import Workspace, summarize
from wordinfo.words import WordMap


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of the same corpus (all layers; layers 1,3) of a tiny random BERT, and an explain --json file."""
    tmp = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp, one_thread():
        mp.setenv("WORDINFO_CACHE", str(tmp / "cache"))
        mp.setenv("HF_HUB_OFFLINE", "1")
        model = save_tiny_bert(tmp / "model")
        data = write_tsv(tmp / "corpus.tsv", sentences(24))
        a = run_corpus(data, tmp / "tiny-all", model=str(model), solver="fast", part_size=10, progress=False,
                       log=lambda m: None)
        b = run_corpus(data, tmp / "tiny-1-3", model=str(model), layers="1,3", solver="fast", progress=False,
                       log=lambda m: None)
        exp_json = tmp / "explained.json"
        import wordinfo
        wordinfo.explain([SCRIPT, "a plain sentence ."], str(model), solver="fast").save(exp_json)
    return a, b, exp_json


# ---------------------------------------------------------------- summary and query

def test_summary_tables(runs):
    a, b, _ = runs
    tables = summarize([a.path, b.path], min_count=2, pos=False)
    assert list(tables) == ["layers", "categories", "words", "forgetting", "forgetting_words"]
    layers = tables["layers"]
    assert layers["layer"].tolist() == ["1", "2", "3"]
    assert np.isnan(layers.loc[1, "kept [tiny-1-3]"]) and not np.isnan(layers.loc[0, "kept [tiny-1-3]"])
    # the same sentences and layers give the same means, whichever run they come from
    assert layers.loc[0, "kept [tiny-all]"] == pytest.approx(layers.loc[0, "kept [tiny-1-3]"])
    cats = tables["categories"]
    assert {c.split(" (")[0] for c in cats.columns[2:]} <= {"special", "punctuation", "stop word", "positive",
                                                            "negative", "other"}
    assert {"special", "stop word", "positive", "negative"} <= {c.split(" (")[0] for c in cats.columns}
    assert len(tables["words"]) == 10 * 5          # top 10 per (run, layer), 3 + 2 layers
    assert set(tables["forgetting"]["run"]) == {"tiny-all", "tiny-1-3"}


def test_word_categories(runs):
    with Workspace([runs[0]]) as ws:
        df = ws.query("SELECT lower(word) AS w, any_value(category) AS c FROM words GROUP BY lower(word)")
    cat = dict(zip(df["w"], df["c"]))
    assert cat["[cls]"] == cat["[sep]"] == "special"
    assert cat["the"] == cat["of"] == "stop word"
    assert cat["good"] == cat["great"] == cat["funny"] == "positive"
    assert cat["bad"] == cat["boring"] == "negative"
    assert cat[","] == cat["."] == cat["<"] == "punctuation"
    assert cat["film"] == cat["plot"] == "other"


def test_forgotten_at_follows_its_definition(tmp_path):
    """Words with known bits kept per layer: forgotten at the first layer from which they stay <= half their best."""
    width, scale = 1, 1.0
    kept = np.array([[10, 2, 10], [4, 6, 9], [3, 2, 3]], dtype=float)        # layers x words
    sigma = scale * 2.0 ** (-kept / width)
    exp = Explanation("toy", "tokens", ["1", "2", "3"], ["x y z"], [WordMap(["x", "y", "z"], ["x", "y", "z"],
                      [0, 1, 2], [False] * 3)], [sigma], width, scale, [np.ones(3)], [np.ones(3, bool)], {})
    with Workspace([exp]) as ws:
        df = ws.query("SELECT word, forgotten_at FROM forgetting ORDER BY word_index")
    # x: 10, 4, 3 -> layer 2 (4 <= 5 and 3 <= 5); y: 2, 6, 2 -> layer 3; z: 10, 9, 3 -> layer 3
    assert df["forgotten_at"].tolist() == [2, 3, 3]
    with Workspace([exp], fraction=0.35) as ws:
        df = ws.query("SELECT forgotten_at FROM forgetting ORDER BY word_index")
    assert df["forgotten_at"].tolist() == [3, 3, 3]


def test_parts_of_speech_when_a_tagger_is_there(runs, monkeypatch):
    import wordinfo.summary.wordlists as summary
    monkeypatch.setattr(summary, "pos_tagger", lambda: ("fake", lambda words: ["NOUN" if w.isalpha() else "PUNCT"
                                                                              for w in words]))
    tables = summarize([runs[0]], tables=["pos"], pos="auto")
    assert set(tables["pos"].columns) == {"run", "layer", "NOUN", "PUNCT"}
    monkeypatch.setattr(summary, "pos_tagger", lambda: None)
    assert summarize([runs[0]], tables=["pos"], pos="auto") == {}
    with pytest.raises(WordinfoError, match="tagger"):
        summarize([runs[0]], tables=["pos"], pos=True)


def test_summary_and_query_commands(runs, tmp_path):
    a, b, exp_json = runs
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


def test_run_object(runs):
    a = Run(runs[0].path)
    assert "tiny-all" in repr(a) and a.complete and a.done == 24
    assert a.sql("SELECT count(DISTINCT sentence) AS n FROM tokens")["n"][0] == 24
    html = a._repr_html_()
    assert "&lt;script&gt;window.__pwned" in html and "<script" not in html
    assert "bits kept" in html


# ---------------------------------------------------------------- the HTML report

def test_report_is_self_contained_and_escaped(runs, tmp_path):
    a, b, exp_json = runs
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


def test_report_in_headless_chromium(runs, tmp_path):
    """The page as a person sees it: no console errors, the script sentence is text, heatmaps, hover, search, sort."""
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium and chromium-driver (apt-get install chromium chromium-driver)")
        pytest.skip("headless Chromium missing: apt-get install chromium chromium-driver")
    pytest.importorskip("selenium", reason="selenium missing: pip install -e '.[dev]'")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from wordinfo.report.browser import chromium, screenshot

    a, b, _ = runs
    page = build_report([a.path, b.path], tmp_path / "report.html")
    driver = chromium()
    try:
        driver.get(page.resolve().as_uri())
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert errors == [], errors
        assert driver.execute_script("return window.__pwned") is None
        rows = driver.find_elements(By.CSS_SELECTOR, "#sentences tbody tr")
        assert len(rows) == 24
        script_row = [r for r in rows if "__pwned" in r.text]
        assert len(script_row) == 1 and SCRIPT in script_row[0].text     # shown as text, verbatim

        script_row[0].click()
        assert SCRIPT in driver.find_element(By.ID, "sentence-text").text
        maps = driver.find_elements(By.CSS_SELECTOR, "#heatmaps table.heatmap")
        assert len(maps) == 2                                             # the two runs side by side
        words = [th.text for th in maps[0].find_elements(By.CSS_SELECTOR, "th.word")]
        assert "<" in words and "script" in words and "[CLS]" in words
        assert len(maps[0].find_elements(By.CSS_SELECTOR, "tr")) == 1 + 3 and len(
            maps[1].find_elements(By.CSS_SELECTOR, "tr")) == 1 + 2
        cell = maps[0].find_element(By.CSS_SELECTOR, "td")
        ActionChains(driver).move_to_element(cell).perform()
        hover = driver.find_element(By.ID, "hover").text
        assert "bits kept" in hover and "layer 1" in hover and "tiny-all" in hover
        assert "bits kept" in cell.get_attribute("title")

        box = driver.find_element(By.ID, "search")
        box.send_keys("pwned")
        visible = [r for r in rows if r.is_displayed()]
        assert len(visible) == 1 and "1 of 24" in driver.find_element(By.ID, "count").text
        box.clear()
        box.send_keys(" ")          # an input event with an empty query shows all again
        driver.find_element(By.CSS_SELECTOR, "#sentences thead th:nth-child(1)").click()
        driver.find_element(By.CSS_SELECTOR, "#sentences thead th:nth-child(1)").click()      # descending
        first = driver.find_element(By.CSS_SELECTOR, "#sentences tbody tr td").text
        assert first == "23"

        driver.execute_script("document.getElementById('value').value = 'centered';"
                              "document.getElementById('value').dispatchEvent(new Event('change'));")
        assert driver.find_elements(By.CSS_SELECTOR, "#heatmaps table.heatmap")
        assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []
        png = screenshot(page, tmp_path / "report.png", driver=driver)
        assert png.stat().st_size > 20_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        driver.quit()
