"""The synthetic reverse-sequence task (``wordinfo.training.reverse``): the generator, the truth, the tokenizer."""

from __future__ import annotations

import pytest

from wordinfo import WordinfoError
from wordinfo.training.reverse import ReverseTask, build_tokenizer, ground_truth, reverse_text


def test_reverse_generator():
    task = ReverseTask(vocab_size=7, seed=3)
    seqs = task.sample(200)
    assert seqs == ReverseTask(vocab_size=7, seed=3).sample(200)
    assert seqs != task.sample(200, stream=1) and seqs != ReverseTask(vocab_size=7, seed=4).sample(200)
    lengths = {len(s.split()) for s in seqs}
    assert min(lengths) == 5 and max(lengths) == 15
    assert {w for s in seqs for w in s.split()} == {str(i) for i in range(7)}
    assert reverse_text("1 2 3 4 5") == "5 4 3 2 1"
    assert [ground_truth(5, j) for j in range(1, 6)] == [5, 4, 3, 2, 1]
    with pytest.raises(WordinfoError):
        ground_truth(5, 6)
    with pytest.raises(WordinfoError):
        ReverseTask(min_length=9, max_length=3)
    tok = build_tokenizer(7)
    enc = tok("6 0 3")
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == ["[CLS]", "6", "0", "3", "[SEP]"]
    assert enc.word_ids() == [None, 0, 1, 2, None]
