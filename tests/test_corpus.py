"""Reading sentences from files (``wordinfo.corpus``): TSV columns guessed or chosen, JSONL and text, labelled TSVs
for training, the evaluation's texts, and one clear error per bad file or row."""

from __future__ import annotations

import json

import pytest

from helpers.corpus import write_tsv
from helpers.errors import one_line_error as _error
from wordinfo import WordinfoError
from wordinfo.corpus import open_spec, read_texts, rows
from wordinfo.corpus import read_labelled as read_tsv


def test_tsv_columns_are_guessed_or_chosen(tmp_path):
    sst = write_tsv(tmp_path / "sst.tsv", ["a fine film", "dull"])
    spec = open_spec(sst)
    assert (spec.text, spec.label) == (1, 0)
    assert [(r.sentence, r.line, r.text, r.label) for r in rows(spec)] == [(0, 1, "a fine film", "0"),
                                                                          (1, 2, "dull", "1")]
    cola = tmp_path / "cola.tsv"
    cola.write_text("the book was read by me .\t1\n\nbook the read .\t0\n")
    spec = open_spec(cola)
    assert (spec.text, spec.label) == (0, 1)
    assert [(r.sentence, r.line) for r in rows(spec)] == [(0, 1), (1, 3)]      # blank lines are not sentences
    named = tmp_path / "named.tsv"
    named.write_text("id\tsentence\tgold\n7\tnice one\tpos\n")
    spec = open_spec(named, header=True, text="sentence", label="gold")
    assert [(r.text, r.label) for r in rows(spec)] == [("nice one", "pos")]
    assert open_spec(sst, label="none").label is None


def test_jsonl_and_text(tmp_path):
    j = tmp_path / "d.jsonl"
    j.write_text(json.dumps({"sentence": "so good", "label": 1}) + "\n" + json.dumps({"sentence": "meh"}) + "\n")
    spec = open_spec(j)
    assert (spec.text, spec.label) == ("sentence", "label")
    assert [(r.text, r.label) for r in rows(spec)] == [("so good", "1"), ("meh", None)]
    t = tmp_path / "d.txt"
    t.write_text("one line\n\n  two lines  \n")
    assert [r.text for r in rows(open_spec(t))] == ["one line", "two lines"]


@pytest.mark.parametrize("name, content, kwargs, fragment", [
    ("missing.tsv", None, {}, "not found"),
    ("d.csv", "a,b\n", {}, "--format"),
    ("d.tsv", "0\tok\n", {"text": "text"}, "--header"),
    ("d.tsv", "0\tok\n", {"text": "5"}, "out of range"),
    ("d.tsv", "a\tb\n0\tok\n", {"header": True, "text": "txt"}, "not a column"),
    ("d.jsonl", '{"body": "x"}\n', {}, "--text-col"),
    ("d.jsonl", "not json\n", {}, "not JSON"),
    ("d.txt", "x\n", {"text": "1"}, "no columns"),
])
def test_bad_data_gives_one_clear_error(tmp_path, name, content, kwargs, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(WordinfoError, match=fragment):
        open_spec(path, **kwargs)


def test_rows_with_problems_name_their_line(tmp_path):
    d = tmp_path / "d.tsv"
    d.write_text("0\tfine\n1\t \n")
    with pytest.raises(WordinfoError, match="line 2 .* empty text"):
        list(rows(open_spec(d, text="1")))
    short = tmp_path / "short.tsv"
    short.write_text("0\tfine\n1\n")
    with pytest.raises(WordinfoError, match="line 2 .* column"):
        list(rows(open_spec(short, text="1", label="0")))


def test_read_labelled_either_column_order(tmp_path):
    first = tmp_path / "a.tsv"
    first.write_text("1\ta fine film\n0\ta dull one\n1\tgood\n")
    last = tmp_path / "b.tsv"
    last.write_text("a fine film\t1\na dull one\t0\ngood\t1\n")
    assert read_tsv(first) == read_tsv(last) == (["a fine film", "a dull one", "good"], [1, 0, 1])
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tok\njust text\n")
    assert "line 2" in _error(read_tsv, bad)



def test_read_texts_takes_the_text_column(tmp_path):
    sst, cola, plain = tmp_path / "s.tsv", tmp_path / "c.tsv", tmp_path / "p.txt"
    sst.write_text("0\tno movement , no yuks\n1\ta fine film\n")
    cola.write_text("the boy ran .\t1\nran boy the .\t0\n\n")
    plain.write_text("one sentence\nanother one\nthird\n")
    assert read_texts(sst) == ["no movement , no yuks", "a fine film"]
    assert read_texts(cola) == ["the boy ran .", "ran boy the ."]
    assert read_texts(plain, n=2) == ["one sentence", "another one"]
    with pytest.raises(WordinfoError, match="not found"):
        read_texts(tmp_path / "missing.tsv")
    with pytest.raises(WordinfoError, match="at least 1"):
        read_texts(plain, n=0)


def test_a_byte_order_mark_at_the_start_of_a_tsv_is_dropped(tmp_path):
    named = tmp_path / "named.tsv"
    named.write_text("id\tsentence\tgold\n7\tnice one\tpos\n", encoding="utf-8-sig")
    assert named.read_bytes().startswith(b"\xef\xbb\xbf")
    spec = open_spec(named, header=True, text="sentence", label="id")      # 'id', not '\ufeffid'
    assert [(r.text, r.label) for r in rows(spec)] == [("nice one", "7")]
    sst = tmp_path / "sst.tsv"
    sst.write_text("1\ta fine film\n0\tdull\n", encoding="utf-8-sig")
    assert [(r.text, r.label) for r in rows(open_spec(sst))] == [("a fine film", "1"), ("dull", "0")]
    assert read_tsv(sst) == (["a fine film", "dull"], [1, 0])
    assert read_texts(sst) == ["a fine film", "dull"]



def test_sentence_pair_columns_are_found_or_chosen(tmp_path):
    mnli = tmp_path / "mnli.tsv"
    mnli.write_text("id\tpremise\thypothesis\tlabel\n1\tA man sleeps .\tA person rests .\tentailment\n")
    spec = open_spec(mnli, header=True, label="label")
    assert (spec.text, spec.pair) == ("premise", "hypothesis")
    assert [(r.text, r.pair, r.label, r.item) for r in rows(spec)] == [
        ("A man sleeps .", "A person rests .", "entailment", ("A man sleeps .", "A person rests ."))]
    plain = tmp_path / "plain.tsv"
    plain.write_text("0\tthe first text is long\tshort\n")
    spec = open_spec(plain, pair="2", label="0")
    assert (spec.text, spec.pair) == (1, 2) and next(rows(spec)).item == ("the first text is long", "short")
    qqp = tmp_path / "qqp.jsonl"
    qqp.write_text(json.dumps({"question1": "why ?", "question2": "how ?", "label": 0}) + "\n")
    spec = open_spec(qqp)
    assert (spec.text, spec.pair, spec.label) == ("question1", "question2", "label")
    assert "pair = key 'question2'" in spec.describe()
    assert open_spec(qqp, text="question1").pair is None       # a named text column alone: single texts


@pytest.mark.parametrize("name, content, kwargs, fragment", [
    ("p.tsv", "a\tb\n", {"pair": "5"}, "--pair-col 5 is out of range"),
    ("p.jsonl", '{"text": "a"}\n', {"pair": "other"}, "--pair-col 'other' is not a key"),
    ("p.txt", "a b\n", {"pair": "1"}, "a plain-text file has no columns"),
])
def test_bad_pair_columns_are_one_line(tmp_path, name, content, kwargs, fragment):
    (tmp_path / name).write_text(content)
    assert fragment in _error(open_spec, tmp_path / name, **kwargs)


def test_an_empty_second_text_names_its_line(tmp_path):
    f = tmp_path / "p.tsv"
    f.write_text("a good one\tfine\nanother\t \n")
    with pytest.raises(WordinfoError, match="line 2 .*--pair-col"):
        list(rows(open_spec(f, pair="1", label="none")))
