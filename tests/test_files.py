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


def test_temporary_names_are_recognised_and_nothing_else(tmp_path):
    from wordinfo.files import temporary_name, temporary_target
    tmp = temporary_name(tmp_path / "part-000000000-000000009.parquet")
    assert tmp.parent == tmp_path and temporary_target(tmp.name) == "part-000000000-000000009.parquet"
    for name in ("notes.tmp", ".notes.tmp", "part.parquet.12.tmp", ".a.b.tmp", ".x.12.tmp.bak"):
        assert temporary_target(name) is None, name


def test_a_write_the_system_refuses_is_one_line_and_leaves_the_old_file(tmp_path, monkeypatch):
    import errno
    import os

    from helpers.errors import one_line_error
    path = tmp_path / "out.json"
    path.write_text("old")
    order = []
    write_atomic(path, lambda tmp: tmp.write_text("new"), before_rename=lambda tmp: order.append(tmp.read_text()))
    assert order == ["new"] and path.read_text() == "new"

    def full(tmp):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

    msg = one_line_error(write_atomic, path, full)
    assert msg.startswith(f"cannot write {path} (No space left on device)")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_check_writable_refuses_what_cannot_be_written_and_creates_nothing(tmp_path):
    from helpers.errors import one_line_error
    from wordinfo.files import check_writable
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    assert check_writable(tmp_path / "new" / "deeper" / "out.html", "-o") == tmp_path / "new" / "deeper" / "out.html"
    assert check_writable(tmp_path / "new" / "figs", "--png", folder=True) and not (tmp_path / "new").exists()
    assert "it is a folder" in one_line_error(check_writable, tmp_path / "folder", "-o")
    assert "it is a file, not a folder" in one_line_error(check_writable, tmp_path / "file", "-o", folder=True)
    assert "is a file, not a folder" in one_line_error(check_writable, tmp_path / "file" / "x.png", "--png")
    assert "set X" in one_line_error(check_writable, tmp_path / "file" / "c", "cache", folder=True, fix="set X")
