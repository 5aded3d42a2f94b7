"""The study's findings, one a file, in the paper's order: the one registry, which also feeds ``--findings``.

Adding a finding: a :class:`~wordinfo.study.finding.Finding` subclass in its own module here, and a row
below. Classes load on first use, so that ``wordinfo study --help`` imports neither torch nor the models.
"""

from __future__ import annotations

import importlib

# id -> (module, class)
_FINDINGS = {
    "F1": ("layers", "InformationFalls"),
    "F2": ("concentration", "Concentration"),
    "F3": ("function_words", "FunctionWords"),
    "F4": ("forgetting", "Forgetting"),
    "F5": ("concepts", "FineGrained"),
    "F6": ("training", "OverTraining"),
    "F7": ("learning_rate", "LearningRate"),
    "F8": ("reverse", "ReverseTaskTruth"),
    "F9": ("coherency", "Coherency"),
    "F10": ("invariance", "Invariance"),
    "F11": ("accuracy", "Accuracy"),
}

IDS = tuple(_FINDINGS)


def finding(fid: str):
    """An instance of finding ``fid`` ('F1' ... 'F11')."""
    module, cls = _FINDINGS[fid]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)()


def choose(ids=None) -> list[str]:
    """The finding ids to run: all, or those named (a list or 'F1,F3'), in the registry's order."""
    from ...errors import WordinfoError
    if ids is None or ids == "all":
        return list(IDS)
    wanted = [i.strip().upper() for i in (ids.split(",") if isinstance(ids, str) else ids) if i.strip()]
    unknown = [i for i in wanted if i not in _FINDINGS]
    if unknown:
        raise WordinfoError(f"unknown finding {unknown[0]!r} (--findings): use {', '.join(IDS)}")
    return [i for i in IDS if i in wanted]
