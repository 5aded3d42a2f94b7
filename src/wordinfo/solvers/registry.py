"""The solvers by name, their options (read from their signatures) and the one way to run one.

Adding a solver: write ``solve_x(problem, *, option=default, ..., progress=None) -> SolverResult``
in its own file, add it to ``SOLVERS``; its options become valid everywhere (``estimate``,
``explain``, ``--precision``...) because they are read from the signature, as scikit-learn
reads an estimator's parameters.
"""

from __future__ import annotations

import inspect
from typing import Callable

from ..errors import WordinfoError
from .fixed_point import solve_fast, solve_fixed_point
from .paper import solve_paper

SOLVERS: dict[str, Callable] = {"default": solve_fixed_point, "fast": solve_fast, "paper": solve_paper}


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
