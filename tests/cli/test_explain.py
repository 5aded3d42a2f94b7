"""``wordinfo explain``: clean one-line errors (exit code 2), the bundled model end to end, a tiny local model, and
the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from helpers.cli import assert_clean_error, invoke
from helpers.models import save_with_tokenizer, tiny_bert_classifier
from wordinfo.cli import app

SENTENCE = "rare bird has more than enough charm to make it memorable."
WORDS = ["[CLS]", "rare", "bird", "has", "more", "than", "enough", "charm", "to", "make", "it", "memorable", ".",
         "[SEP]"]
EXE = Path(sys.executable).with_name("wordinfo")


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("args, fragments", [
    (["", "--layers", "1"], ["empty"]),
    (["   ", "--layers", "1"], ["empty"]),
    ([SENTENCE, "--layers", "9"], ["layer", "9"]),
    ([SENTENCE, "--layers", "0"], ["layer"]),
    ([SENTENCE, "--layers", "one"], ["layers"]),
    ([SENTENCE, "--model", "/nonexistent"], ["/nonexistent"]),
    ([SENTENCE, "--value", "entropy"], ["--value", "entropy"]),
    ([SENTENCE, "--png", "out.jpg"], ["--png", ".png"]),
    ([SENTENCE, "--lam", "0"], ["lam"]),
    ([SENTENCE, "--lam", "-1"], ["lam"]),
    ([SENTENCE, "--scale", "0"], ["scale"]),
    ([SENTENCE, "--target", "logits"], ["logits"]),
    ([SENTENCE, "--target", "pooler"], ["pooler"]),
    ([SENTENCE, "--calibrate", "/nonexistent/sentences.txt"], ["sentences.txt"]),
    ([SENTENCE, "--solver", "magic", "--layers", "1"], ["magic"]),
    ([SENTENCE, "--precision", "0"], ["--precision"]),
    ([SENTENCE, "--precision", "0.01", "--solver", "fast"], ["precision", "fast"]),
])
def test_errors_are_one_line(args, fragments):
    assert_clean_error(invoke("explain", *args), *fragments)


def test_too_long_text_mentions_truncate():
    line = assert_clean_error(invoke("explain", " ".join(["word"] * 600), "--layers", "1"))
    assert "truncate" in line


def test_bad_png_suffix_writes_nothing(tmp_path):
    assert_clean_error(invoke("explain", SENTENCE, "--png", str(tmp_path / "heat.jpg")))
    assert not list(tmp_path.iterdir())


def test_bad_dtype_on_the_command_line_is_one_line():
    result = CliRunner().invoke(app, ["explain", "a fine film", "--dtype", "half-ish"])
    assert result.exit_code == 2
    assert "unknown dtype" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for machines without a GPU")
def test_asking_for_a_missing_gpu_is_one_clear_line():
    result = CliRunner().invoke(app, ["explain", "a fine film", "--device", "cuda"])
    assert result.exit_code == 2
    assert "sees no GPU" in result.output and "--device cpu" in result.output
    assert "Traceback" not in result.output


def test_help():
    result = invoke("--help")
    assert result.exit_code == 0 and "explain" in result.output
    result = invoke("explain", "--help")
    assert result.exit_code == 0
    for flag in ("--layers", "--json", "--png", "--value", "--lam"):
        assert flag in result.output


def test_output_paths_that_cannot_be_written_fail_before_the_solve(tmp_path, monkeypatch):
    import wordinfo
    monkeypatch.setattr(wordinfo, "explain", lambda *a, **k: pytest.fail("the solve ran"))
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder.png").mkdir()
    for png, fragment in [(tmp_path / "a-file" / "heat.png", "is a file, not a folder"),
                          (tmp_path / "a-folder.png", "it is a folder")]:
        assert_clean_error(invoke("explain", SENTENCE, "--png", png), "--png", fragment)


def test_a_heatmap_that_cannot_be_written_after_the_solve_keeps_the_result(tmp_path, monkeypatch, explained):
    """A failure that can only come after the work (the disk fills): the JSON is printed first, then one line."""
    import errno

    import wordinfo
    from wordinfo import files
    monkeypatch.setattr(wordinfo, "explain", lambda *a, **k: explained)

    def full(path, write, before_rename=None):
        raise files.WordinfoError(f"cannot write {path} ({os.strerror(errno.ENOSPC)}): free some space")

    monkeypatch.setattr(files, "write_atomic", full)
    result = invoke("explain", SENTENCE, "--json", "--png", tmp_path / "heat.png")
    assert result.exit_code == 2 and json.loads(result.stdout)["words"] == explained.words(0)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "printed above is complete" in lines[0]


def test_real_subprocess_bytes_that_are_not_utf8(tmp_path):
    env = {**os.environ, "WORDINFO_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([str(EXE).encode(), b"explain", b"a \xff\xfe film"], capture_output=True, env=env,
                          timeout=300)
    lines = [line for line in proc.stderr.decode().splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: the text is not valid UTF-8 (byte 0xff at character 2)")


# ---------------------------------------------------------------- the bundled model, end to end

def test_json_and_png_on_the_bundled_model(tmp_path):
    png = tmp_path / "sub" / "heat.png"
    result = invoke("explain", SENTENCE, "--layers", "1,2", "--json", "--png", str(png))
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    d = json.loads(result.stdout)
    assert d["text"] == SENTENCE
    assert d["words"] == WORDS
    assert len(d["tokens"]) == 14
    assert d["target"] == "tokens" and "minilm" in d["model"].lower()
    assert d["width"] == 384
    assert [layer["layer"] for layer in d["layers"]] == [1, 2]
    for layer in d["layers"]:
        assert len(layer["sigma"]) == len(d["tokens"]) == 14
        assert len(layer["bits"]) == len(d["tokens"])
        assert len(layer["word_bits"]) == len(d["words"])
        assert all(0 < s <= d["scale"] * (1 + 1e-6) for s in layer["sigma"])
    assert d["settings"]["lam"] == 0.1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((Path(os.environ["WORDINFO_CACHE"]) / "calibration").glob("*.safetensors"))


def test_real_subprocess_table_and_png(tmp_path, cache):
    """The installed console script: table mode prints the words and writes the heatmap."""
    assert EXE.exists(), EXE
    png = tmp_path / "heat.png"
    env = {**os.environ, "WORDINFO_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}
    proc = subprocess.run([str(EXE), "explain", SENTENCE, "--layers", "1,2", "--png", str(png)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in ("rare", "bird", "charm", "memorable", "L1", "L2"):
        assert word in proc.stdout
    assert "L3" not in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_real_subprocess_error(tmp_path):
    env = {**os.environ, "WORDINFO_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([str(EXE), "explain", SENTENCE, "--model", "/nonexistent"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    assert not proc.stdout.strip()


# ---------------------------------------------------------------- a tiny local model (fast)

@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """A random two-layer BERT classifier that takes at most 32 tokens, with the bundled tokenizer."""
    return save_with_tokenizer(tiny_bert_classifier(max_position_embeddings=32), tmp_path_factory.mktemp("tiny-clf"))


def test_tiny_model_logits_json(tiny_dir):
    result = invoke("explain", "an unbelievably good film", "--model", str(tiny_dir), "--target", "logits", "--json")
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    d = json.loads(result.stdout)
    assert d["target"] == "logits"
    assert [layer["layer"] for layer in d["layers"]] == ["logits"]
    assert d["words"] == ["[CLS]", "an", "unbelievably", "good", "film", "[SEP]"]
    assert len(d["layers"][0]["sigma"]) == len(d["tokens"]) == 10
    assert len(d["layers"][0]["word_bits"]) == 6


@pytest.mark.parametrize("value", ["kept", "bits", "sigma"])
def test_tiny_model_table_values(value, tiny_dir):
    result = invoke("explain", "an unbelievably good film", "--model", str(tiny_dir), "--value", value)
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    for word in ("unbelievably", "good", "film", "L1", "L2"):
        assert word in result.stdout
    assert result.stdout.count("±") >= 12                     # every cell of 6 words x 2 layers has its error
    assert "Traceback" not in result.output


def test_tiny_model_precision_option(tiny_dir):
    """--precision reaches the solver: a finer one gives smaller error bars (and says so in the settings)."""
    rough, fine = (json.loads(invoke("explain", "an unbelievably good film", "--model", str(tiny_dir), "--json",
                                     "--precision", p).stdout) for p in ("0.2", "0.02"))
    assert rough["settings"]["precision"] == 0.2 and fine["settings"]["precision"] == 0.02
    worst = [max(max(layer["log_sigma_se"]) for layer in d["layers"]) for d in (rough, fine)]
    assert worst[1] < worst[0]


def test_tiny_model_too_long(tiny_dir):
    line = assert_clean_error(invoke("explain", " ".join(["word"] * 40), "--model", str(tiny_dir)), "32")
    assert "--truncate" in line


def test_tiny_model_custom_calibration_and_truncate(tiny_dir, tmp_path):
    sample = tmp_path / "sample.txt"
    sample.write_text("a good film\nthe worst movie of the year\n")
    result = invoke("explain", " ".join(["word"] * 600), "--model", str(tiny_dir), "--layers", "1",
                    "--calibrate", str(sample), "--truncate", "--json")
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    d = json.loads(result.stdout)
    assert len(d["tokens"]) == 32
    assert str(sample) in d["settings"]["feature_std"]
