"""The paper's study, end to end (``wordinfo study``): each finding of Guan et al. (2019) measured, with intervals.

- ``plan.py``: what runs (models, sentences, settings; ``--quick``) and the protocol differences;
- ``data.py``: the models (trained or reused), their corpus runs and predictions, as tables;
- ``statistics.py`` and ``intervals.py``: per-sentence statistics and bootstrap intervals;
- ``finding.py`` and ``findings/``: one finding a file, each with the paper's claim, what we measured
  and a verdict; ``runner.py`` runs them resumably; ``write.py`` and ``figures.py`` the write-up.
"""

from __future__ import annotations

from .runner import run_study

__all__ = ["run_study"]
