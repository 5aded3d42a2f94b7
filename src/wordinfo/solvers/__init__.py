"""Solvers of the objective; each takes a :class:`~wordinfo.problem.Problem` and returns a SolverResult."""

from ._result import SolverResult
from .fixed_point import solve_fast, solve_fixed_point
from .paper import solve_paper

SOLVERS = {"default": solve_fixed_point, "fast": solve_fast, "paper": solve_paper}

__all__ = ["SOLVERS", "SolverResult", "solve_fast", "solve_fixed_point", "solve_paper"]
