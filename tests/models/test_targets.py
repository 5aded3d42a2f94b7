"""The target vocabulary every adapter speaks (``wordinfo.models.targets``): ``kind`` or ``kind:J``, and layers."""

from __future__ import annotations

import pytest

from helpers.errors import one_line_error
from wordinfo.models.targets import Target, parse_kind, parse_layers

ALLOWED = ("tokens", "cls", "sentence", "step:J", "decoder:J", "logits:J")


@pytest.mark.parametrize("kind, expected", [("tokens", ("tokens", None)), (" decoder:3 ", ("decoder", 3)),
                                            ("step:-1", ("step", -1)), ("step:0", ("step", 0)),
                                            ("logits:2", ("logits", 2))])
def test_parse_kind_reads_the_kind_and_its_step(kind, expected):
    assert parse_kind(kind, ALLOWED) == expected


@pytest.mark.parametrize("kind, fragment", [
    ("decoder", "target decoder:J needs a whole number J"),
    ("step:x", "target step:J needs a whole number J, got 'step:x'"),
    ("sentence:2", "target 'sentence' takes no ':' part"),
    ("pooler", "target 'pooler' does not apply to this model: use tokens, cls, sentence, step:J, decoder:J, logits:J"),
    ("decoder:0", "output steps count from 1"),
    ("logits:-1", "output steps count from 1"),
])
def test_parse_kind_errors_are_one_line(kind, fragment):
    assert fragment in one_line_error(parse_kind, kind, ALLOWED)


@pytest.mark.parametrize("layers, expected", [("all", [1, 2, 3]), (" ALL ", [1, 2, 3]), (None, [1, 2, 3]),
                                              ("3, 1", [1, 3]), (2, [2]), ([3, 1, 3], [1, 3])])
def test_parse_layers_sorts_and_deduplicates(layers, expected):
    assert parse_layers(layers, 3) == expected


@pytest.mark.parametrize("layers, fragment", [
    ("abc", "layers must be 'all' or numbers like 1,3,6, got 'abc'"),
    ("1;2", "layers must be 'all' or numbers"),
    (0, "unknown layer 0: this model has layers 1..3"),
    ([1, 9], "unknown layer 9: this model has layers 1..3"),
    ("", "unknown layer '': this model has layers 1..3"),
    ([], "unknown layer []"),
])
def test_parse_layers_errors_are_one_line(layers, fragment):
    assert fragment in one_line_error(parse_layers, layers, 3)


def test_a_targets_label_base_and_index():
    step = Target("decoder:3", 2)
    assert (step.label, step.base, step.index) == ("2", "decoder", 3)
    assert (Target("logits", None).label, Target("logits", None).index) == ("logits", None)
    assert Target("logits:4", None).label == "logits:4"
