"""wordinfo: how much does each layer of a neural NLP model still know about each input word?

Imports stay light: torch and transformers load only when a function that needs them is used.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "estimate": "wordinfo.estimator",
    "feature_std": "wordinfo.estimator",
    "Estimate": "wordinfo.estimator",
    "explain": "wordinfo.explainer",
    "concept_distances": "wordinfo.concepts",
    "layer_matrix": "wordinfo.layer_matrix",
    "LayerMatrix": "wordinfo.layer_matrix",
    "evaluate": "wordinfo.evaluation",
    "load_model": "wordinfo.models.resolve",
    "Explanation": "wordinfo.explanation",
    "run_corpus": "wordinfo.runs",
    "open_run": "wordinfo.runs",
    "Run": "wordinfo.runs",
    "build_report": "wordinfo.report",
    "WordinfoError": "wordinfo.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wordinfo' has no attribute {name!r}")


def __dir__():
    return __all__
