"""sigma_S for a model: the spread of each hidden-state element over a sample of real sentences.

Computed once per (model weights, sentence sample) and cached on disk as
safetensors under ``$WORDINFO_CACHE`` (default ``~/.cache/wordinfo``).
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Sequence

import torch

from ._checks import check_finite
from .errors import WordinfoError
from .models.encoder import embed_texts

BATCH = 16


def cache_dir() -> Path:
    return Path(os.environ.get("WORDINFO_CACHE", Path.home() / ".cache" / "wordinfo"))


def read_sentences(path: str | Path | None) -> list[str]:
    """One sentence per line (blank lines skipped); ``None`` gives the bundled sample of 60 sentences."""
    if path is None:
        text = resources.files("wordinfo.data").joinpath("calibration.txt").read_text(encoding="utf-8")
    else:
        p = Path(path)
        if not p.is_file():
            raise WordinfoError(f"calibration file {str(p)!r} not found: give a text file with one sentence per line")
        text = p.read_text(encoding="utf-8", errors="replace")
    sentences = [line.strip() for line in text.splitlines() if line.strip()]
    if len(sentences) < 2:
        raise WordinfoError("the calibration sample needs at least two sentences (one per line)")
    return sentences


def feature_stds(encoder, targets: Sequence, sentences: list[str], use_cache: bool = True) -> list[torch.Tensor]:
    """sigma_S for each target: ``[H]`` for token states (tokens pooled), ``[H]`` for [CLS], ``[C]`` for logits."""
    from safetensors.torch import load_file, save_file

    sample_hash = hashlib.blake2b("\n".join(sentences).encode(), digest_size=8).hexdigest()
    path = cache_dir() / "calibration" / f"{encoder.fingerprint()}-{sample_hash}.safetensors"
    keys = [_key(t) for t in targets]
    stored: dict = {}
    if use_cache and path.exists():
        try:
            stored = load_file(str(path))
        except Exception:          # a corrupt cache file is recomputed, never trusted
            stored = {}
    missing = [t for t, k in zip(targets, keys) if k not in stored]
    if missing:
        stored.update(_compute(encoder, missing, sentences))
        if use_cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            save_file({k: v.contiguous() for k, v in stored.items()}, str(tmp))
            os.replace(tmp, path)     # atomic: a killed run never leaves half a file
    return [stored[k] for k in keys]


def _key(target) -> str:
    return f"{target.kind}:{target.layer}"


@torch.no_grad()
def _compute(encoder, targets, sentences):
    total = [0.0] * len(targets)
    sums, squares = [0.0] * len(targets), [0.0] * len(targets)
    for start in range(0, len(sentences), BATCH):
        _, mask, x = embed_texts(encoder, sentences[start:start + BATCH], truncate=True)
        for j, (t, out) in enumerate(zip(targets, encoder.clean_outputs(x, mask, targets))):
            rows = out[mask] if t.kind == "tokens" else out            # tokens pooled over positions
            rows = rows.double()
            total[j] += rows.shape[0]
            sums[j] = sums[j] + rows.sum(0)
            squares[j] = squares[j] + rows.pow(2).sum(0)
    result = {}
    for j, t in enumerate(targets):
        mean = sums[j] / total[j]
        var = (squares[j] / total[j] - mean.pow(2)).clamp_min(0) * total[j] / max(total[j] - 1, 1)
        std = var.sqrt().float()
        check_finite(f"the model's output at {t.kind} {t.label} on the calibration sample", std)
        result[_key(t)] = std.clamp_min(1e-3 * float(std.mean()) + 1e-12).cpu()   # constant features: floored
    return result
