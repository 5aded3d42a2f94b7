"""What a saved explanation must hold (``wordinfo.explanation_format``): a file edited by hand, cut short or written
by something else is one line naming the field, through ``Explanation.load``, ``from_dict`` and the readers of
explain --json files; a file saved with a byte-order mark still loads."""

from __future__ import annotations

import copy
import json

import pytest

import wordinfo
from helpers.errors import one_line_error


def _layer(d, k=0):
    return d["layers"][k]


EDITS = [
    (lambda d: d.pop("layers"), "'layers' is missing"),
    (lambda d: d.update(width="wide"), "'width' must be a whole number"),
    (lambda d: d.update(scale=0), "'scale' must be a number > 0"),
    (lambda d: d.pop("model"), "'model' is missing"),
    (lambda d: d["tokens"].pop(), "'token_word' must give each of the"),
    (lambda d: d["token_word"].__setitem__(1, 99), "a word number 0.."),
    (lambda d: d["special"].pop(), "'special' must be"),
    (lambda d: _layer(d)["sigma"].pop(), "'sigma' has"),
    (lambda d: _layer(d).update(sigma="0.1"), "'sigma' has a str for"),
    (lambda d: _layer(d)["sigma"].__setitem__(0, -1.0), "'sigma' values must be numbers > 0"),
    (lambda d: _layer(d, 1).update(layer=_layer(d)["layer"]), "listed twice"),
    (lambda d: _layer(d).update(log_sigma_se=[0.1]), "'log_sigma_se' has 1 values"),
    (lambda d: d.update(segment=[0, 1]), "'segment' must be"),
]


@pytest.mark.parametrize("edit, fragment", EDITS, ids=[f for _, f in EDITS])
def test_an_inconsistent_explanation_is_one_line_naming_the_field(explained, edit, fragment):
    d = copy.deepcopy(explained.to_dict())
    edit(d)
    msg = one_line_error(wordinfo.Explanation.from_dict, d)
    assert fragment in msg and "wordinfo explain --json" in msg


def test_sentences_with_different_layers_are_one_line(explained):
    two = wordinfo.Explanation.from_dict({**explained.to_dict(), "sentences": [explained.sentence_dict(0)] * 2})
    d = two.to_dict()
    d["sentences"][1]["layers"].pop()
    assert "sentence 1: its layers" in one_line_error(wordinfo.Explanation.from_dict, d)
    assert "a JSON object was expected" in one_line_error(wordinfo.Explanation.from_dict, [d])


def test_a_broken_file_is_one_line_and_a_byte_order_mark_is_fine(explained, tmp_path):
    good = explained.save(tmp_path / "good.json")
    text = good.read_text()
    cases = {"cut.json": text[: len(text) // 2], "binary.json": b"\xff\xfe\x00\x01", "empty.json": "",
             "other.json": json.dumps({"format": "wordinfo.run/4"})}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    assert "is not valid JSON" in one_line_error(wordinfo.Explanation.load, tmp_path / "cut.json")
    assert "is not UTF-8 text" in one_line_error(wordinfo.Explanation.load, tmp_path / "binary.json")
    assert "is not valid JSON" in one_line_error(wordinfo.Explanation.load, tmp_path / "empty.json")
    assert "'model' is missing" in one_line_error(wordinfo.Explanation.load, tmp_path / "other.json")
    assert "not found" in one_line_error(wordinfo.Explanation.load, tmp_path / "missing.json")
    assert "(it is a folder)" in one_line_error(wordinfo.Explanation.load, tmp_path)
    (tmp_path / "bom.json").write_text(text, encoding="utf-8-sig")
    assert wordinfo.Explanation.load(tmp_path / "bom.json").words() == explained.words()
