"""What the baselines ask of a target: is it a prediction, an output step, and which targets share statistics.

Targets are the encoders' own (:class:`wordinfo.models.targets.Target`: ``kind``, ``layer``,
``base`` and ``index``); the predicates here only read them.
"""

from __future__ import annotations


def is_prediction(target) -> bool:
    """Targets that are a prediction (class or token scores), explained through their top class."""
    return "logits" in str(getattr(target, "kind", ""))


def is_step(target, base: str = "logits") -> bool:
    """A target of one output step ``J`` of a sequence-to-sequence model: ``logits:J`` (or ``<base>:J``)."""
    return getattr(target, "base", None) == base and getattr(target, "index", None) is not None


def stat_key(target):
    """Targets that share statistics: output steps of one kind and layer pool together."""
    kind = str(getattr(target, "kind", target))
    return kind.split(":")[0], getattr(target, "layer", None)
