"""Established explanation methods, side by side with wordinfo, on the same encoder interface.

Each method gives word scores (higher = more important) for every target of a model (its
layers' token states and its prediction) through :class:`Method.explain`; word scores are
token scores merged with wordinfo's own ``WordMap``. Captum provides saliency, input x
gradient, integrated gradients, erasure (feature ablation) and LRP; attention, attention
rollout and the information bottleneck are written here because Captum has none.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

# name -> (module, class): the one registry of methods, which also feeds ``wordinfo evaluate --methods``.
# Classes load on first use, so that naming them (the CLI's help) imports neither torch nor Captum.
_METHODS = {"wordinfo": ("measure", "Wordinfo"), "saliency": ("gradients", "Saliency"),
            "input_x_gradient": ("gradients", "InputXGradient"),
            "integrated_gradients": ("integrated_gradients", "IntegratedGradients"), "lrp": ("lrp", "LRP"),
            "erasure": ("erasure", "Erasure"), "attention": ("attention", "Attention"),
            "attention_rollout": ("attention", "AttentionRollout"),
            "information_bottleneck": ("information_bottleneck", "InformationBottleneck"),
            "random": ("random_scores", "Random")}
_EXPORTS = {cls: module for module, cls in _METHODS.values()} | {
    "Method": "base", "Scores": "base", "to_words": "base", "Context": "context", "Sentence": "sentence",
    "is_prediction": "targets"}


class _Methods(Mapping):
    """``name -> Method class``, each imported on first use."""

    def __getitem__(self, name: str):
        module, cls = _METHODS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

    def __iter__(self):
        return iter(_METHODS)

    def __len__(self) -> int:
        return len(_METHODS)


METHODS: Mapping = _Methods()

__all__ = sorted([*_EXPORTS, "METHODS", "make_methods"])


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_methods(names="all", **options) -> list:
    """Methods by name ('all', a comma-separated string or a list); ``options`` maps a method's name
    to its keyword arguments, e.g. ``{"wordinfo": {"solver": "fast"}, "integrated_gradients": {"steps": 50}}``."""
    from ..errors import WordinfoError
    if isinstance(names, str):
        names = list(METHODS) if names.strip().lower() == "all" else [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in names if n not in METHODS]
    if unknown or not names:
        raise WordinfoError(f"unknown method {unknown[0] if unknown else names!r}: use all or some of "
                            f"{', '.join(METHODS)}")
    return [METHODS[n](**options.get(n, {})) for n in dict.fromkeys(names)]
