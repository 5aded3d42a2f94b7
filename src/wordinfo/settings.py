"""The settings an answer depends on, written one way for every front end.

``explain``/``prepare``, ``estimate``, corpus runs (their manifest) and the evaluation (its
records) all store this dict: the measure's parameters first, then how sigma_S and the
input were chosen, then every option of the solver in force (its defaults included), so
that a resumed run can check it is continuing the same thing and a saved result says how
it was made.
"""

from __future__ import annotations

from .solvers.registry import solver_defaults


def describe(*, lam: float, scale: float, seed: int, solver: str, options: dict | None = None,
             defaults: bool = False, **described) -> dict:
    """``{lam, scale, seed, solver, <described...>, <solver options>}``; ``defaults`` adds the solver's own defaults
    under the given ``options`` (for settings made before the solver ran)."""
    solver_options = {**(solver_defaults(solver) if defaults else {}), **(options or {})}
    return {"lam": lam, "scale": scale, "seed": seed, "solver": solver, **described, **solver_options}
