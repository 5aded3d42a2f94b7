"""``wordinfo study --quick``: every finding's section, with finite numbers; resumed, refused, one-line errors.

The quick study trains its own small models (one epoch on 320 sentences) and explains a handful of
sentences: 115 s on two cores with all four families (CI's run from a fresh clone, 4c59ba1), too long for the
default suite. So
the tests that need it are marked ``study`` (left out by default): CI (``.ci/run``) runs
``wordinfo study --quick --out DIR`` as it is and then ``pytest -m study`` with ``WORDINFO_STUDY_DIR=DIR``;
without that variable ``pytest -m study`` makes a quick study of two families (bert and lstm: enough for
every comparison) itself. The one-line errors need no study and run in the default suite.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest

from helpers.cli import assert_clean_error, invoke
from wordinfo.study.findings import IDS, finding

study = pytest.mark.study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    given = os.environ.get("WORDINFO_STUDY_DIR")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("study") / "quick"
    result = invoke("study", "--quick", "--out", out, "--models", "bert,lstm", "--threads", "1")
    assert result.exit_code == 0, result.output
    return out


@study
def test_every_finding_has_a_section_with_finite_numbers_and_a_verdict(quick):
    md = (quick / "study.md").read_text()
    html = (quick / "study.html").read_text()
    for fid in IDS:
        title = finding(fid).title
        assert f"## {fid}: {title}" in md
        assert f'id="{fid}"' in html
        data = json.loads((quick / "findings" / f"{fid}.json").read_text())
        assert data["verdict"] in ("holds", "does not hold", "mixed"), (fid, data["why"])
        assert data["measured"], fid
        for m in data["measured"]:
            assert all(isinstance(m[k], (int, float)) and math.isfinite(m[k]) for k in ("estimate", "low", "high")), \
                (fid, m)
            assert m["low"] <= m["estimate"] + 1e-9 and m["estimate"] <= m["high"] + 1e-9, (fid, m)
            assert m["n"] >= 1
        for f in data["figures"]:
            assert (quick / f).stat().st_size > 1000, f
    assert "the paper says" in md.lower() and "we measured" in md.lower()
    assert "<script" not in html          # nothing executable: figures are inline PNGs


@study
def test_the_write_up_states_the_protocol_differences_and_the_wall_time(quick):
    md = (quick / "study.md").read_text()
    assert "MiniLM-L6" in md and "frozen" in md and "QQP" in md
    assert re.search(r"\d+ minutes of wall time", md)
    # every model it used is accounted for: trained here, in the wall time, with its training time
    models = json.loads((quick / "study.json").read_text())["models"]
    assert {"sst2-bert", "cola-lstm"} <= set(models)
    assert all(m["trained"] == "here" and m["wall_time_s"] > 0 for m in models.values()), models
    assert re.search(r"Models: \d+ trained by the study \(counted in its wall time\): \d+ min of training", md)


def test_the_write_up_says_which_models_were_reused_and_what_their_training_took():
    from wordinfo.study.plan import Plan
    from wordinfo.study.write import models_sentence
    plan = Plan.make("out", models_dir="trained")
    models = {"sst2-bert": {"trained": "before", "wall_time_s": 600.0},
              "cola-cnn": {"trained": "before", "wall_time_s": None},
              "sst2-cnn-lr30": {"trained": "here", "wall_time_s": 90.0}}
    text = models_sentence(models, plan)
    assert "1 trained by the study (counted in its wall time): 2 min of training (sst2-cnn-lr30)" in text
    assert "2 reused from trained, trained before it (not counted): 10 min of training, 1 not timed" in text
    assert models_sentence({}, plan) == ""


@study
def test_corpus_runs_are_ordinary_runs_that_summary_reads(quick):
    runs = sorted((quick / "runs").iterdir())
    assert runs and all((r / "manifest.json").is_file() for r in runs)
    result = invoke("summary", runs[0], "--format", "csv", "--table", "layers")
    assert result.exit_code == 0, result.output


@study
def test_a_second_call_resumes_without_work_and_other_settings_are_refused(quick):
    state = json.loads((quick / "study.json").read_text())
    families = ",".join(state["plan"]["families"])
    again = invoke("study", "--quick", "--out", quick, "--models", families, "--findings", "F1,F11")
    assert again.exit_code == 0, again.output
    assert "F1: done before" in again.output and "F11: done before" in again.output
    assert json.loads((quick / "study.json").read_text())["seconds"] == state["seconds"]
    assert_clean_error(invoke("study", "--quick", "--out", quick, "--models", "cnn"), "other settings")
    assert_clean_error(invoke("study", "--out", quick, "--models", families), "other settings")


def test_bad_options_are_one_line(tmp_path):
    assert_clean_error(invoke("study", "--out", tmp_path / "a", "--models", "gpt9"), "unknown model family")
    assert_clean_error(invoke("study", "--out", tmp_path / "b", "--n", "2"), "--n")
    assert_clean_error(invoke("study", "--out", tmp_path / "c", "--findings", "F99"), "unknown finding")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "mine.txt").write_text("not a study")
    assert_clean_error(invoke("study", "--out", tmp_path / "d", "--quick"), "not empty")
    assert (tmp_path / "d" / "mine.txt").read_text() == "not a study"
