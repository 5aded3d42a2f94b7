"""sigma_S for a model: the spread of each hidden-state element over a sample of real sentences.

Computed once per (model weights, sentence sample) and cached on disk as
safetensors under ``$WORDINFO_CACHE`` (default ``~/.cache/wordinfo``).
"""

from __future__ import annotations

import hashlib
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Sequence

import torch

from ._checks import check_finite
from .corpus import read_lines
from .errors import WordinfoError
from .files import check_writable, write_atomic
from .models.encoder import embed_texts
from .statistics import PooledMoments, floored

BATCH = 16


def cache_dir() -> Path:
    return Path(os.environ.get("WORDINFO_CACHE", Path.home() / ".cache" / "wordinfo"))


def read_sentences(path: str | Path | None) -> list[str]:
    """One sentence per line (blank lines skipped); ``None`` gives the bundled sample of 60 sentences."""
    if path is not None:
        return read_lines(path, "calibration file")
    text = resources.files("wordinfo.data").joinpath("calibration.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def feature_stds(encoder, targets: Sequence, sentences: list[str], use_cache: bool = True) -> list[torch.Tensor]:
    """sigma_S for each target: ``[H]`` for token states (tokens pooled), ``[H]`` for [CLS], ``[C]`` for logits."""
    from safetensors.torch import load_file, save_file

    start = f"-from{encoder.from_layer}" if getattr(encoder, "from_layer", 0) else ""
    path = cache_dir() / "calibration" / f"{encoder.fingerprint()}{start}-{sample_hash(sentences)}.safetensors"
    keys = [_key(t) for t in targets]
    stored: dict = {}
    if use_cache and path.exists():
        try:
            stored = load_file(str(path))
        except Exception:          # a corrupt cache file is recomputed, never trusted
            stored = {}
    missing = [t for t, k in zip(targets, keys) if k not in stored]
    if missing:
        if use_cache:
            _writable(path.parent)          # before the work, not after it
        stored.update(_compute(encoder, missing, sentences))
        if use_cache:
            tensors = {k: v.contiguous() for k, v in stored.items()}
            try:
                write_atomic(path, lambda tmp: save_file(tensors, str(tmp)))   # a killed run never leaves half a file
            except WordinfoError as e:      # disk full after the work: keep the answer, say it was not cached
                print(f"wordinfo: sigma_S was not cached: {e}", file=sys.stderr)
    return [stored[k] for k in keys]


def sample_hash(sentences: list[str]) -> str:
    """The calibration sample's identity (the cache key, and a run manifest's ``calibration.hash``)."""
    return hashlib.blake2b("\n".join(sentences).encode(), digest_size=8).hexdigest()


def _writable(folder: Path) -> None:
    """The cache folder, made now; a one-line error naming WORDINFO_CACHE where it cannot be."""
    fix = "set WORDINFO_CACHE to a writable folder"
    check_writable(folder, "the calibration cache", folder=True, fix=fix)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WordinfoError(f"the calibration cache {str(folder)!r} cannot be made ({e.strerror or e}): "
                            f"{fix}") from None


@torch.no_grad()
def state_scale(encoder, sentences: list[str]) -> float:
    """The default bound on sigma when ``x`` is a layer's output (``from_layer`` > 0): ten times the std of
    that layer's state elements over the sample's real tokens, as the word-vector bound is ten times the
    std of the word-embedding matrix (docs/method.md, "The bound")."""
    moments = PooledMoments()
    for start in range(0, len(sentences), BATCH):
        _, mask, x = embed_texts(encoder, sentences[start:start + BATCH], truncate=True)
        moments.add(x[mask].reshape(-1, 1))
    std = float(moments.std(torch.float64, floor=False)[0])
    check_finite(f"layer {encoder.from_layer}'s states on the calibration sample", torch.tensor(std))
    return 10 * std


def _key(target) -> str:
    return f"{target.kind}:{target.layer}"


@torch.no_grad()
def _compute(encoder, targets, sentences):
    moments = [PooledMoments() for _ in targets]
    for start in range(0, len(sentences), BATCH):
        _, mask, x = embed_texts(encoder, sentences[start:start + BATCH], truncate=True)
        for m, t, out in zip(moments, targets, encoder.clean_outputs(x, mask, targets)):
            m.add(out[mask] if t.kind == "tokens" else out)            # tokens pooled over positions
    result = {}
    for m, t in zip(moments, targets):
        std = m.std(floor=False)
        check_finite(f"the model's output at {t.kind} {t.label} on the calibration sample", std)
        result[_key(t)] = floored(std).cpu()
    return result
