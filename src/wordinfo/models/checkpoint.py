"""Checkpoints: a directory of safetensors weights, a JSON config and the tokenizer. Nothing is unpickled.

A native checkpoint (the project's Transformer, LSTM, CNN and seq2seq models) holds

* ``config.json``: ``{"format": "wordinfo", "arch": ..., "family": ..., "task": ..., "model": {...}}``,
  the model's constructor arguments under ``model``;
* ``model.safetensors``: the weights, read with ``safetensors.torch.load_file``;
* the tokenizer's files (``tokenizer.json`` ...), from ``save_pretrained``;
* optionally ``calibration.txt`` (sentences for sigma_S, when the bundled English sample
  means nothing to the model, as for the reverse task) and ``metrics.json`` (the training report).

A fine-tuned BERT is saved by ``transformers`` itself (also safetensors) and loads
through the Hugging Face path; ``load`` tells the two apart by ``config.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import WordinfoError
from ..files import write_atomic, write_json, write_text

FORMAT = "wordinfo"
CONFIG, WEIGHTS, CALIBRATION = "config.json", "model.safetensors", "calibration.txt"


def model_classes() -> dict:
    from .classifiers import CLASSIFIERS
    from .seq2seq import SEQ2SEQ
    return {("classifier", a): c for a, c in CLASSIFIERS.items()} | {("seq2seq", a): c for a, c in SEQ2SEQ.items()}


def build(family: str, arch: str, config: dict):
    """A fresh (untrained) native model of a family ('classifier' or 'seq2seq') and arch."""
    classes = model_classes()
    if (family, arch) not in classes:
        known = ", ".join(f"{a} {f}" for f, a in sorted(classes))
        raise WordinfoError(f"no {arch!r} {family} model: known are {known}")
    return classes[(family, arch)](config)


def save(directory: str | Path, model, tokenizer, task: str, calibration: list[str] | None = None) -> Path:
    """Write a native model, its tokenizer (and calibration sentences) to ``directory``."""
    from safetensors.torch import save_file

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT, "version": 1, "arch": model.arch, "family": model.family, "task": task,
              "model": model.config}
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    write_atomic(path / WEIGHTS, lambda tmp: save_file(tensors, str(tmp)))
    tokenizer.save_pretrained(str(path))
    write_json(path / CONFIG, config, sort_keys=False)     # after the tokenizer: ours, not its
    if calibration:
        write_text(path / CALIBRATION, "\n".join(calibration) + "\n")
    return path


def read_config(directory: str | Path) -> dict | None:
    """The parsed config.json of a directory, or None when there is none."""
    p = Path(directory) / CONFIG
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise WordinfoError(f"cannot read {p}: {e}") from None


def is_native(directory: str | Path) -> bool:
    config = read_config(directory) if Path(directory).is_dir() else None
    return isinstance(config, dict) and config.get("format") == FORMAT


def load_native(directory: str | Path):
    """(model, tokenizer) of a native checkpoint, the model in eval mode."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    path = Path(directory)
    config = read_config(path)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise WordinfoError(f"{path} is not a wordinfo checkpoint (config.json without \"format\": \"wordinfo\")")
    try:
        model = build(config["family"], config["arch"], config["model"])
    except KeyError as e:
        raise WordinfoError(f"{path / CONFIG} lacks the key {e}") from None
    except (TypeError, ValueError) as e:
        raise WordinfoError(f"{path / CONFIG} does not describe a valid model: {e}") from None
    weights = path / WEIGHTS
    if not weights.is_file():
        raise WordinfoError(f"{path} has no {WEIGHTS}")
    try:
        state = load_file(str(weights))
    except Exception as e:  # noqa: BLE001 - safetensors raises its own error types on a damaged file
        raise WordinfoError(f"cannot read {weights}: {str(e).splitlines()[0]}") from None
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in state if k in expected and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise WordinfoError(f"{weights} does not match its config: missing {missing[:3]}, "
                            f"unexpected {unexpected[:3]}, wrong shape {wrong[:3]}")
    model.load_state_dict(state)
    hf_logging.set_verbosity_error()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError, KeyError) as e:
        raise WordinfoError(f"cannot load the tokenizer from {path}: {str(e).splitlines()[0]}") from None
    return model.eval(), tokenizer
