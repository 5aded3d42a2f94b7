"""Files on disk (``wordinfo.files``): a write is whole or not at all; JSON values are plain, NaN and Inf as null."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from wordinfo.files import plain, write_atomic, write_json


def test_write_atomic_leaves_the_old_file_and_no_temporary_when_the_writer_raises(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")

    def half(tmp):
        tmp.write_text("half of the new")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        write_atomic(path, half)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]          # no temporary file left beside it
    assert write_atomic(path, lambda tmp: tmp.write_text("new")) == path
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_plain_turns_nan_and_inf_into_none_in_nested_numpy_and_torch_values():
    data = {"a": [np.float32("nan"), torch.tensor([1.5, float("inf")], requires_grad=True)],
            "b": (np.array([[np.nan, 2.0]]), np.int64(3), np.float64("-inf")),
            4: {"c": float("nan"), "d": Path("x/y"), "e": np.bool_(True), "f": torch.tensor(float("nan"))},
            "g": ["text", None, 7, False]}
    out = plain(data)
    assert out == {"a": [None, [1.5, None]], "b": [[[None, 2.0]], 3, None],
                   "4": {"c": None, "d": "x/y", "e": True, "f": None}, "g": ["text", None, 7, False]}
    json.dumps(out, allow_nan=False)                                   # strict JSON: no NaN tokens


def test_write_json_is_strict_json(tmp_path):
    path = write_json(tmp_path / "d.json", {"sigma": np.array([0.1, np.nan]), "n": np.int32(2)})
    assert json.loads(path.read_text()) == {"n": 2, "sigma": [0.1, None]}
    assert "NaN" not in path.read_text()
