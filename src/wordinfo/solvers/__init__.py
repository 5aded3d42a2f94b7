"""Solvers of the objective; each takes a :class:`~wordinfo.problem.Problem` and returns a SolverResult.

Names load lazily (``registry.py`` says why): ``from wordinfo.solvers import solve_fast`` imports it then.
"""

from __future__ import annotations

import importlib

_EXPORTS = {"SolverResult": "_result", "solve_fast": "fixed_point", "solve_fixed_point": "fixed_point",
            "solve_paper": "paper", "SOLVERS": "registry", "check_solver": "registry", "run_solver": "registry",
            "solver_defaults": "registry"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
