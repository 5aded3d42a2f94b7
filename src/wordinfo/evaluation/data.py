"""Evaluation sentences from a file: SST-2 / CoLA TSV (a label column and a text column) or one text a line."""

from __future__ import annotations

from pathlib import Path

from ..errors import WordinfoError


def read_texts(path: str | Path, n: int | None = None) -> list[str]:
    """The first ``n`` non-empty texts of ``path``. In a tab-separated file the text is the
    column that is not an integer label (SST-2 puts the label first, CoLA last)."""
    p = Path(path)
    if not p.is_file():
        raise WordinfoError(f"data file {str(p)!r} not found: give a TSV (label, text) or one sentence a line")
    lines = [line.rstrip("\n") for line in p.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line.strip()]
    texts = [_text(line) for line in lines]
    texts = [t for t in texts if t]
    if n is not None:
        if n < 1:
            raise WordinfoError(f"--n must be at least 1, got {n}")
        texts = texts[:n]
    if len(texts) < 2:
        raise WordinfoError(f"{p} holds {len(texts)} text(s): the evaluation needs at least two")
    return texts


def _text(line: str) -> str:
    fields = [f.strip() for f in line.split("\t")]
    if len(fields) == 1:
        return fields[0]
    words = [f for f in fields if not f.lstrip("-").isdigit()]
    return max(words, key=len) if words else ""
