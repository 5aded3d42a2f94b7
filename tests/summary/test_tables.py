"""The summary tables (``wordinfo.summary.tables``) of two corpus runs, parts of speech when a tagger is there."""

from __future__ import annotations

import numpy as np
import pytest

from wordinfo import WordinfoError
from wordinfo.summary import summarize


def test_summary_tables(corpus_runs):
    a, b, _ = corpus_runs
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


def test_parts_of_speech_when_a_tagger_is_there(corpus_runs, monkeypatch):
    import wordinfo.summary.wordlists as summary
    monkeypatch.setattr(summary, "pos_tagger", lambda: ("fake", lambda words: ["NOUN" if w.isalpha() else "PUNCT"
                                                                              for w in words]))
    tables = summarize([corpus_runs[0]], tables=["pos"], pos="auto")
    assert set(tables["pos"].columns) == {"run", "layer", "NOUN", "PUNCT"}
    monkeypatch.setattr(summary, "pos_tagger", lambda: None)
    assert summarize([corpus_runs[0]], tables=["pos"], pos="auto") == {}
    with pytest.raises(WordinfoError, match="tagger"):
        summarize([corpus_runs[0]], tables=["pos"], pos=True)


@pytest.fixture(scope="module")
def probe_runs(tmp_path_factory):
    """A tiny BERT's probe runs at epochs 2, 9 and 10, its weights nudged between them (so the epochs differ)."""
    import torch

    from helpers.models import FAST, minilm_tokenizer, tiny_bert_classifier
    from helpers.threads import one_thread
    from wordinfo.runs.probe import Probe
    folder = tmp_path_factory.mktemp("probe")
    model = tiny_bert_classifier(layers=2)
    probe = Probe(["a fine film", "a dull film , really", "wonderful and moving", "boring and slow"], folder,
                  name="tiny", training={"seed": 0}, **FAST)
    with pytest.MonkeyPatch.context() as mp, one_thread():
        mp.setenv("WORDINFO_CACHE", str(folder.parent / "cache"))
        probe.begin(model, minilm_tokenizer())
        generator = torch.Generator().manual_seed(0)
        for epoch in (2, 9, 10):
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(0.05 * torch.randn(p.shape, generator=generator))
            probe.explain(epoch, model)
    return folder


def _direct_epoch_means(rundir):
    """Per layer: mean, sd / sqrt(n), solver se and n of the words' kept bits, from the Parquet rows themselves."""
    import pandas as pd
    import pyarrow.parquet as pq
    rows = pd.concat([pq.read_table(f).to_pandas() for f in sorted((rundir / "parts").glob("*.parquet"))])
    words = rows.groupby(["sentence", "layer", "word_index"]).agg(
        kept=("word_retained_bits", "first"), se=("word_bits_se", "first"), special=("special", "any")).reset_index()
    words = words[~words["special"]]
    return {int(layer): (g["kept"].mean(), g["kept"].std(ddof=1) / np.sqrt(len(g)),
                         np.sqrt((g["se"] ** 2).sum()) / len(g), len(g)) for layer, g in words.groupby("layer")}


def test_epoch_table_is_in_epoch_order_and_agrees_with_the_parquet_rows(probe_runs):
    import pandas as pd

    from wordinfo.summary import epoch_table
    given = sorted(str(p) for p in probe_runs.glob("epoch-*"))          # the shell's order: 10 before 2
    assert [p.rsplit("-", 1)[1] for p in given] == ["10", "2", "9"]
    table = epoch_table(given)
    assert list(table.columns) == ["series", "epoch", "layer", "kept", "kept_se", "solver_se", "words"]
    assert table[["epoch", "layer"]].values.tolist() == [[e, la] for e in (2, 9, 10) for la in (1, 2)]
    for row in table.itertuples():
        mean, se, solver_se, n = _direct_epoch_means(probe_runs / f"epoch-{row.epoch}")[row.layer]
        assert row.series == "tiny" and row.words == n == 14
        assert row.kept == pytest.approx(mean) and row.kept_se == pytest.approx(se)
        assert row.solver_se == pytest.approx(solver_se)
    assert table["kept"].nunique() == len(table), "each epoch's weights give their own means"
    # the folder itself reads as its runs, in natural order; bits rather than kept bits on request
    pd.testing.assert_frame_equal(epoch_table([probe_runs]), table)
    bits = epoch_table(probe_runs, value="bits")
    assert "bits_se" in bits and not np.allclose(bits["bits"], table["kept"])


def test_epochs_table_only_for_runs_with_epochs(probe_runs, corpus_runs):
    assert list(summarize([probe_runs], pos=False))[:2] == ["layers", "epochs"]
    assert "epochs" not in summarize([corpus_runs[0].path], pos=False)
    with pytest.raises(WordinfoError, match="none of these runs has an epoch"):
        summarize([corpus_runs[0].path], tables=["epochs"])
    with pytest.raises(WordinfoError, match="both epoch 2 of tiny"):
        summarize([probe_runs / "epoch-2", probe_runs / "epoch-2"], tables=["epochs"])
