"""Established explanation methods, side by side with wordinfo, on the same encoder interface.

Each method gives word scores (higher = more important) for every target of a model (its
layers' token states and its prediction) through :class:`Method.explain`; word scores are
token scores merged with wordinfo's own ``WordMap``. Captum provides saliency, input x
gradient, integrated gradients, erasure (feature ablation) and LRP; attention, attention
rollout and the information bottleneck are written here because Captum has none.
"""

from __future__ import annotations

from .attention import Attention, AttentionRollout
from .base import Method, Scores, to_words
from .context import Context
from .erasure import Erasure
from .gradients import InputXGradient, Saliency
from .information_bottleneck import InformationBottleneck
from .integrated_gradients import IntegratedGradients
from .lrp import LRP
from .measure import Wordinfo
from .random_scores import Random
from .sentence import Sentence
from .targets import is_prediction

METHODS = {m.name: m for m in (Wordinfo, Saliency, InputXGradient, IntegratedGradients, LRP, Erasure, Attention,
                               AttentionRollout, InformationBottleneck, Random)}

__all__ = [
    "LRP",
    "METHODS",
    "Attention",
    "AttentionRollout",
    "Context",
    "Erasure",
    "InformationBottleneck",
    "InputXGradient",
    "IntegratedGradients",
    "Method",
    "Random",
    "Saliency",
    "Scores",
    "Sentence",
    "Wordinfo",
    "is_prediction",
    "make_methods",
    "to_words",
]


def make_methods(names="all", **options) -> list[Method]:
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
