"""Judging explanations: faithfulness, coherency, ground truth and cost, for wordinfo and the baselines.

``evaluate(model, data, methods="all", n=200)`` runs every method on the same sentences
(``wordinfo evaluate`` on the command line); the metric modules also work on their own.
"""

from __future__ import annotations

from ..corpus import read_texts
from .coherency import across_seeds, adjacent_layers, spearman
from .ground_truth import true_rank
from .runner import evaluate
from .tasks import load_context

__all__ = ["across_seeds", "adjacent_layers", "evaluate", "load_context", "read_texts", "spearman", "true_rank"]
