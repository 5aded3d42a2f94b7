"""The solvers by name, their options (read from their signatures) and the one way to run one.

Adding a solver: write ``solve_x(problem, *, option=default, ..., progress=None) -> SolverResult``
in its own file, add its name and place to ``_PLACES``; its options become valid everywhere
(``estimate``, ``explain``, ``--precision``...) because they are read from the signature, as
scikit-learn reads an estimator's parameters. The solvers are imported only when one is used,
so that naming them (the CLI's help) costs no torch import.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import MutableMapping
from typing import Callable

from ..errors import WordinfoError
from .defaults import DEFAULT_PRECISION  # noqa: F401  (the CLI's help reads it here)

_PLACES = {"default": ("fixed_point", "solve_fixed_point"), "fast": ("fixed_point", "solve_fast"),
           "paper": ("paper", "solve_paper")}


class _Solvers(MutableMapping):
    """``name -> solver function``: the package's own imported on first use; ``SOLVERS[name] = fn`` adds one."""

    def __init__(self):
        self._added: dict[str, Callable] = {}

    def __getitem__(self, name: str) -> Callable:
        if name in self._added:
            return self._added[name]
        module, function = _PLACES[name]
        return getattr(importlib.import_module(f"{__package__}.{module}"), function)

    def __setitem__(self, name: str, solver: Callable) -> None:
        self._added[name] = solver

    def __delitem__(self, name: str) -> None:
        del self._added[name]

    def __iter__(self):
        return iter([*_PLACES, *(n for n in self._added if n not in _PLACES)])

    def __len__(self) -> int:
        return len(set(_PLACES) | set(self._added))


SOLVERS: MutableMapping[str, Callable] = _Solvers()


def solver_defaults(solver: str) -> dict:
    """The options a solver takes and their default values (progress callbacks aside)."""
    params = inspect.signature(SOLVERS[solver]).parameters.values()
    return {p.name: p.default for p in params if p.name not in ("problem", "progress")}


def check_solver(solver: str, options: dict) -> None:
    """Fail early, before any long work, on an unknown solver or option."""
    if solver not in SOLVERS:
        raise WordinfoError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}")
    allowed = set(solver_defaults(solver))
    unknown = set(options) - allowed
    if unknown:
        raise WordinfoError(f"unknown option(s) {sorted(unknown)} for solver {solver!r}: "
                            f"it takes {sorted(allowed)}")


def run_solver(problem, solver: str, progress: bool | str | Callable = False, **options):
    """Run a named solver, with a progress bar (or a ``progress(step, remaining)`` callback) when asked.

    The result comes back on the CPU wherever the problem lives. Unknown solver names and
    options are a clear error."""
    check_solver(solver, options)
    fn = SOLVERS[solver]
    if not progress or callable(progress):
        return fn(problem, progress=progress or None, **options).cpu()
    from tqdm.auto import tqdm
    desc = progress if isinstance(progress, str) else f"wordinfo ({solver} solver)"
    with tqdm(desc=desc, unit="step" if solver == "default" else "fit", leave=False) as bar:
        def tick(done, remaining):
            bar.n = done
            bar.set_postfix(left=remaining, refresh=True)
        return fn(problem, progress=tick, **options).cpu()
