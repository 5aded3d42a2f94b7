"""Sentence pairs (``wordinfo.pairs``): what a text is, how a pair reaches each kind of model (separators, segment
ids), and that every front end (API, JSON, CLI, runs) shows the words of both texts with the text they belong to.

Models are tiny random ones with the bundled MiniLM's tokenizer; the fast solver keeps each test to seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import transformers
from typer.testing import CliRunner

import wordinfo
from helpers.agreement import assert_same_answer
from helpers.errors import one_line_error
from helpers.models import FAST
from helpers.threads import one_thread
from wordinfo.cli import app
from wordinfo.models.encoder import embed_texts
from wordinfo.models.resolve import encoder_for
from wordinfo.pairs import as_texts, kind, length, segments, split

FIRST, SECOND = "a good film", "it was great fun"


def test_a_text_that_is_not_utf8_is_one_line_before_any_model_is_loaded(monkeypatch):
    """Bytes that are not UTF-8 reach Python as lone surrogates (a command-line argument, a file read with
    surrogateescape): one line naming the byte, not the tokenizer's TypeError."""
    from wordinfo import explainer
    monkeypatch.setattr(explainer, "prepare", lambda *a, **k: pytest.fail("a model was loaded"))
    assert "byte 0xff at character 2" in one_line_error(wordinfo.explain, "a \udcff\udcfe film")
    assert "not valid UTF-8" in one_line_error(as_texts, "fine", pair="caf\udce9")
    assert "character U+D800" in one_line_error(kind, ["\ud800"])


def test_texts_and_pairs():
    assert as_texts("a b") == ["a b"]
    assert as_texts("a b", pair="c") == [("a b", "c")]
    assert as_texts(["a", "b"], pair=["c", "d"]) == [("a", "c"), ("b", "d")]
    assert as_texts([("a", "c")]) == [("a", "c")]
    assert kind(["a"]) == "single" and kind([("a", "b")]) == "pair"
    assert split([("a", "c"), ("b", "d")]) == (["a", "b"], ["c", "d"])
    assert split(["a"]) == (["a"], None)
    assert length(("ab", "cde")) == 5
    # a special token belongs to the text before it, a leading one to the first text
    assert segments([None, 0, 0, None, 1, 1, None]) == [0, 0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("call, fragment", [
    (lambda: as_texts(["a", "b"], pair=["c"]), "2 text(s) but 1 pair text(s)"),
    (lambda: as_texts([("a", "b")], pair="c"), "already pairs"),
    (lambda: kind(["a", ("b", "c")]), "mixes single texts and sentence pairs"),
    (lambda: kind([("a", "")]), "empty text in a sentence pair"),
    (lambda: kind([("a", "b", "c")]), "two strings"),
    (lambda: kind([3]), "a text is a string"),
])
def test_malformed_pairs_are_one_line(call, fragment):
    assert fragment in one_line_error(call)


def _tiny(cls, config):
    torch.manual_seed(0)
    return cls(config).eval()


SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, vocab_size=30522)
SEGMENTED = {   # models whose input has a segment table: the BERT adapter, and the generic one (folded into x)
    "bert": lambda: _tiny(transformers.BertModel, transformers.BertConfig(**SMALL)),
    "deberta-v2": lambda: _tiny(transformers.DebertaV2Model, transformers.DebertaV2Config(type_vocab_size=2, **SMALL)),
    "albert": lambda: _tiny(transformers.AlbertModel, transformers.AlbertConfig(embedding_size=16, **SMALL)),
}


@pytest.mark.parametrize("family", sorted(SEGMENTED))
def test_the_model_sees_the_pair_as_it_does_with_segment_ids(family, tokenizer):
    """x, run through the model, gives exactly what input ids with token_type_ids give."""
    model = SEGMENTED[family]()
    encoder = encoder_for(model, tokenizer, family)
    texts = [(FIRST, SECOND), ("bad", "awful and long")]
    enc, mask, x = embed_texts(encoder, texts)
    assert int(enc["token_type_ids"].max()) == 1
    with torch.no_grad():
        ref = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                    token_type_ids=enc["token_type_ids"]).last_hidden_state
        same_as_single = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        (got,) = encoder.clean_outputs(x, mask, encoder.targets([2]))
    torch.testing.assert_close(got[mask], ref[mask], atol=1e-5, rtol=1e-5)
    assert float((same_as_single - ref)[mask].abs().max()) > 1e-3     # segment ids matter to these models


def test_a_pair_explained_shows_both_texts_words(tiny_bert):
    model, tok = tiny_bert
    exp = wordinfo.explain(FIRST, model, tok, pair=SECOND, **FAST)
    assert exp.words(0) == ["[CLS]", "a", "good", "film", "[SEP]", "it", "was", "great", "fun", "[SEP]"]
    assert exp.segments(0) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert exp.pair(0) == SECOND and exp.texts == [FIRST]
    d = exp.to_dict()
    assert (d["pair"], d["segment"]) == (SECOND, exp.segments(0))
    back = wordinfo.Explanation.from_dict(json.loads(exp.to_json()))
    assert back.pairs == [SECOND] and back.segments(0) == exp.segments(0)
    assert set(exp.to_dataframe().query("word == 'fun'")["segment"]) == {1}
    # a single text keeps its shape: no pair keys, every word in text 0
    single = wordinfo.explain(FIRST, model, tok, **FAST)
    assert "pair" not in single.to_dict() and single.segments(0) == [0] * 5


def test_the_second_text_changes_the_first_texts_answer(tiny_bert):
    """A pair is one input: the words of the first text are explained in the pair's context."""
    model, tok = tiny_bert
    alone = wordinfo.explain(FIRST, model, tok, **FAST)
    paired = wordinfo.explain([(FIRST, SECOND)], model, tok, **FAST)
    n = len(alone.words(0)) - 1           # the first text's words and its [CLS]
    assert not np.allclose(alone.sigma[0][:, :n], paired.sigma[0][:, :n])


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_batch_of_pairs_matches_each_pair_alone(tiny_bert, dtype):
    model, tok = tiny_bert
    texts, seconds = [FIRST, "dull"], [SECOND, "a long and tiring evening"]
    both = wordinfo.explain(texts, model, tok, pair=seconds, batch_size=2, dtype=dtype, **FAST)
    for i in range(2):
        one = wordinfo.explain(texts[i], model, tok, pair=seconds[i], dtype=dtype, **FAST)
        assert_same_answer(one.sigma[0], one.sigma_se[0], one.steps[0], both.sigma[i], both.sigma_se[i],
                           both.steps[i], dtype)


def test_a_decoder_only_model_reads_the_pair_as_its_tokenizer_joins_it(minilm_tokenizer):
    config = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=30522, bos_token_id=0,
                                     eos_token_id=0)
    model = _tiny(transformers.GPT2Model, config)
    exp = wordinfo.explain(FIRST, model, minilm_tokenizer, pair=SECOND, **FAST)
    words = exp.words(0)
    assert "film" in words and "fun" in words
    assert exp.segments(0)[words.index("fun")] == 1 and exp.segments(0)[words.index("film")] == 0


def test_wordinfos_own_models_take_one_text(tmp_path, tokenizer):
    from helpers.models import save_native
    _, folder = save_native(("classifier", "lstm"), tmp_path / "lstm", tokenizer)
    message = one_line_error(wordinfo.explain, FIRST, str(folder), pair=SECOND, solver="fast")
    assert "takes one text at a time" in message and "--pair" in message


def test_cli_explain_pair(tiny_bert_dir):
    result = CliRunner().invoke(app, ["explain", FIRST, "--pair", SECOND, "--model", str(tiny_bert_dir),
                                      "--solver", "fast", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["pair"] == SECOND and d["segment"][-1] == 1 and "fun" in d["words"]
    table = CliRunner().invoke(app, ["explain", FIRST, "--pair", SECOND, "--model", str(tiny_bert_dir),
                                     "--solver", "fast"])
    assert table.exit_code == 0 and "text" in table.stdout


def test_a_corpus_of_pairs_runs_resumes_and_reads_back(tmp_path, tiny_bert_dir):
    from wordinfo.runs import Run, run_corpus
    data = tmp_path / "pairs.jsonl"
    rows = [{"question1": f"how do I learn {w} ?", "question2": f"what is the best way to learn {w} ?",
             "is_duplicate": i % 2} for i, w in enumerate(["python", "french", "chess", "piano", "maths"])]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with one_thread():
        run = run_corpus(data, tmp_path / "run", model=str(tiny_bert_dir), solver="fast", part_size=2, limit=3,
                         label_col="is_duplicate", progress=False, log=lambda m: None)
        run = run_corpus(data, tmp_path / "run", model=str(tiny_bert_dir), solver="fast", part_size=2,
                         label_col="is_duplicate", progress=False, log=lambda m: None)
    assert run.manifest["data"]["pair"] == "question2" and run.done == 5
    df = run.sql("SELECT sentence, pair, segment, word FROM tokens WHERE layer = 1")
    assert df.groupby("sentence")["segment"].max().tolist() == [1] * 5
    assert set(df.query("sentence == 2 and segment == 1")["word"]) >= {"best", "chess"}
    assert set(df["pair"]) == {r["question2"] for r in rows}
    exp = Run(tmp_path / "run").explanation([2])
    assert exp.pair(0) == rows[2]["question2"] and exp.segments(0)[exp.words(0).index("best")] == 1
    solo = wordinfo.explain(rows[2]["question1"], str(tiny_bert_dir), pair=rows[2]["question2"], solver="fast")
    np.testing.assert_allclose(exp.sigma[0], solo.sigma[0], rtol=1e-6)
