"""Corpus runs: ``run_corpus`` writes a resumable run directory, ``Run`` reads one back."""

from .result import Run, open_run
from .runner import run_corpus

__all__ = ["Run", "open_run", "run_corpus"]
