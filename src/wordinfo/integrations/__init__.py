"""wordinfo inside other libraries' training loops: :class:`InformationCallback` for the Hugging Face ``Trainer``.

- :mod:`~wordinfo.integrations.trainer`: the callback, which explains a probe set at epoch 0 and after
  every epoch into one run directory per epoch (:mod:`wordinfo.runs.probe`).

Lazy, as ``wordinfo`` itself: ``import wordinfo.integrations`` loads neither torch nor transformers;
the first use of ``wordinfo.integrations.InformationCallback`` does.
"""

from __future__ import annotations

__all__ = ["InformationCallback"]


def __getattr__(name: str):
    if name == "InformationCallback":
        from .trainer import InformationCallback
        return InformationCallback
    raise AttributeError(f"module 'wordinfo.integrations' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
