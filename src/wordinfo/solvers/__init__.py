"""Solvers of the objective; each takes a :class:`~wordinfo.problem.Problem` and returns a SolverResult."""

from ._result import SolverResult
from .fixed_point import solve_fast, solve_fixed_point
from .paper import solve_paper
from .registry import SOLVERS, check_solver, run_solver, solver_defaults

__all__ = ["SOLVERS", "SolverResult", "check_solver", "run_solver", "solve_fast", "solve_fixed_point", "solve_paper",
           "solver_defaults"]
