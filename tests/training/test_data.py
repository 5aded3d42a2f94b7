"""The training data (``wordinfo.training.data``): the validation split."""

from __future__ import annotations

from wordinfo.training.data import split_validation


def test_split_validation_is_disjoint_and_fixed():
    texts, labels = [f"t{i}" for i in range(100)], [i % 2 for i in range(100)]
    (tr, _), (va, _) = split_validation(texts, labels, 0.1)
    assert len(va) == 10 and not set(tr) & set(va) and len(tr) + len(va) == 100
    assert split_validation(texts, labels, 0.1)[1][0] == va
