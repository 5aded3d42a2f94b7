"""The command line's promise (``wordinfo.cli.app``): whatever file it is given, bad input ends in one line that
starts with ``error:``, exit code 2, no traceback.

A fuzz test: malformed TSV and JSONL corpora, run manifests, explain --json files and model checkpoints are made
here from good ones (cut at seeded random points, fields dropped or given values of the wrong kind, bytes
flipped) and given to the commands that read them. Every case is certain to be bad, so every case must give the
one line; a crash anywhere (a KeyError in a reader, a pyarrow or safetensors traceback) fails it.
"""

from __future__ import annotations

import json
import random
import shutil

import pytest

from helpers.cli import assert_clean_error, assert_ends_in_one_error, invoke
from helpers.models import native_texts, save_native
from helpers.threads import one_thread

RNG = random.Random(17)          # seeded: the same cases every run


def _cut(text: str, n: int) -> list[str]:
    """``n`` prefixes of ``text`` cut at seeded random points (never empty, never whole)."""
    return [text[:RNG.randrange(1, len(text) - 1)] for _ in range(n)]


# ---------------------------------------------------------------- corpora

CORPORA = {
    "empty.tsv": "", "blank.tsv": "\n\n   \n", "header-only.tsv": "label\ttext\n",
    "ragged.tsv": "0\ta film\n1\n", "nul.tsv": "0\tgood\x00film\n1\t\n", "too-long.tsv": "0\t" + "word " * 700 + "\n",
    "binary.tsv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    "lines.jsonl": '{"text": "a film"}\n{"text": "cut', "no-text.jsonl": '{"body": "a film"}\n',
    "list.jsonl": '["a film"]\n', "empty.jsonl": "\n", "null.jsonl": '{"text": null}\n',
}


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_a_malformed_corpus_is_one_line(name, tmp_path, tiny_bert_dir):
    content = CORPORA[name]
    path = tmp_path / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    header = ["--header"] if name == "header-only.tsv" else []
    with one_thread():
        result = invoke("run", "--data", path, "--out", tmp_path / "run", "--model", tiny_bert_dir, "--solver",
                        "fast", "--no-progress", *header)
    assert_ends_in_one_error(result)          # after, at most, the line saying what it read
    assert not list((tmp_path / "run").glob("parts/*.parquet")), "nothing explained from a bad corpus"


# ---------------------------------------------------------------- manifests

REQUIRED = {"model": {}, "target": 7, "layers": "all", "settings": [], "data": None, "format": "wordinfo.run/1"}
JUNK = [None, "x", -1, 0, 1.5, True, [], {}]


def _manifest_cases(manifest: dict) -> list[tuple[str, str]]:
    text = json.dumps(manifest, indent=1)
    cases = [(f"cut-{i}", t) for i, t in enumerate(_cut(text, 6))]
    for key, bad in REQUIRED.items():
        cases.append((f"{key}-wrong", json.dumps({**manifest, key: bad})))
        cases.append((f"{key}-missing", json.dumps({k: v for k, v in manifest.items() if k != key})))
    for path, good in (("model.width", 32), ("settings.scale", 1.0), ("data.rows", 24)):
        outer, inner = path.split(".")
        for junk in RNG.sample([j for j in JUNK if j != good and not (isinstance(j, int) and j >= 1
                                                                      and not isinstance(j, bool))], 3):
            cases.append((f"{path}={junk!r}", json.dumps({**manifest, outer: {**manifest[outer], inner: junk}})))
    cases += [("not-an-object", "[1, 2]"), ("binary", "\udcff"), ("limit", json.dumps({**manifest, "limit": "all"}))]
    return cases


def test_a_malformed_manifest_is_one_line_for_every_reader(corpus_runs, tmp_path):
    good = json.loads((corpus_runs[0].path / "manifest.json").read_text())
    run = tmp_path / "run"
    shutil.copytree(corpus_runs[0].path, run, ignore=shutil.ignore_patterns(".lock"))
    cases = _manifest_cases(good)
    assert len(cases) > 20
    for name, text in cases:
        (run / "manifest.json").write_bytes(text.encode("utf-8", "surrogateescape"))
        for args in (["summary", run], ["query", run, "SELECT 1"], ["verify", run],
                     ["report", run, "-o", tmp_path / "r.html"]):
            assert_clean_error(invoke(*args), "manifest"), (name, args)
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------- explanations

def _explanation_cases(d: dict) -> list[tuple[str, str]]:
    text = json.dumps(d)
    cases = [(f"cut-{i}", t) for i, t in enumerate(_cut(text, 6))]
    for key in ("model", "target", "width", "scale", "tokens", "words", "token_word", "special", "layers"):
        cases.append((f"{key}-missing", json.dumps({k: v for k, v in d.items() if k != key})))
    for key in ("tokens", "special", "token_word"):
        shorter = json.loads(text)
        shorter[key].pop(RNG.randrange(len(shorter[key])))
        cases.append((f"{key}-shorter", json.dumps(shorter)))
    for bad in RNG.sample([-1.0, 0, "x", [], None, True], 3):
        broken = json.loads(text)
        layer = RNG.choice(broken["layers"])
        layer["sigma"] = [bad] * len(layer["sigma"]) if bad is not None else None
        cases.append((f"sigma={bad!r}", json.dumps(broken)))
    return cases


def test_a_malformed_explanation_file_is_one_line_for_every_reader(explained, tmp_path):
    for name, text in _explanation_cases(explained.to_dict()):
        path = tmp_path / "exp.json"
        path.write_text(text)
        for args in (["summary", path], ["report", path, "-o", tmp_path / "r.html"], ["query", path, "SELECT 1"]):
            assert_clean_error(invoke(*args)), (name, args)
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------- checkpoints

def test_a_malformed_checkpoint_is_one_line(tmp_path, tiny_bert_dir, tokenizer):
    import torch
    _, native = save_native(("classifier", "cnn"), tmp_path / "native", tokenizer)
    config = (native / "config.json").read_text()
    weights = (native / "model.safetensors").read_bytes()
    hf_weights = (tiny_bert_dir / "model.safetensors").read_bytes()
    flipped = bytearray(weights)
    flipped[4] ^= 0xFF                                         # the header's length: garbage
    cases = [("config", t) for t in _cut(config, 3)] + [
        ("config", json.dumps({**json.loads(config), "arch": "rnn"})),
        ("config", json.dumps({**json.loads(config), "model": {"vocab_size": "many"}})),
        ("config", json.dumps({k: v for k, v in json.loads(config).items() if k != "family"})),
        ("weights", weights[:RNG.randrange(8, len(weights) // 2)]), ("weights", bytes(flipped)),
        ("weights", b""), ("hf", hf_weights[:RNG.randrange(8, len(hf_weights) // 2)]), ("hf", b"\x00" * 64),
        ("pickle", None)]
    for i, (kind, content) in enumerate(cases):
        folder = tmp_path / f"case-{i}"
        shutil.copytree(tiny_bert_dir if kind in ("hf", "pickle") else native, folder)
        if kind == "config":
            (folder / "config.json").write_text(content)
        elif kind == "pickle":
            (folder / "model.safetensors").unlink()
            torch.save({"anything": torch.zeros(2)}, folder / "pytorch_model.bin")
        else:
            (folder / "model.safetensors").write_bytes(content)
        with one_thread():
            result = invoke("explain", native_texts(("classifier", "cnn"))[0], "--model", folder, "--solver", "fast")
        line = assert_clean_error(result)
        assert "weights_only" not in line, line


def test_an_os_error_that_reaches_the_wrapper_is_one_line(corpus_runs, monkeypatch):
    """A file the system refuses, wherever it surfaces, is one line naming the file, never a traceback."""
    import wordinfo.summary

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/somewhere/layers.csv")

    monkeypatch.setattr(wordinfo.summary, "render", refused)
    line = assert_clean_error(invoke("summary", corpus_runs[0].path), "/somewhere/layers.csv", "Permission denied")
    assert line.startswith("error: cannot use")
