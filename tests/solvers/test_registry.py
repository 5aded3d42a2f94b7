"""The solvers by name (``wordinfo.solvers.registry``): their options read from their signatures, clear errors."""

from __future__ import annotations

from helpers.errors import one_line_error
from wordinfo.solvers import registry
from wordinfo.solvers.registry import SOLVERS, check_solver, solver_defaults


def test_solver_defaults_read_the_signature(monkeypatch):
    assert solver_defaults("default")["precision"] == 0.03
    assert "steps" in solver_defaults("paper") and "precision" not in solver_defaults("paper")
    for name in SOLVERS:
        assert not {"problem", "progress"} & set(solver_defaults(name)), name

    def solve_new(problem, *, alpha=3, beta="b", progress=None):
        raise AssertionError("never run")

    monkeypatch.setitem(registry.SOLVERS, "new", solve_new)
    assert solver_defaults("new") == {"alpha": 3, "beta": "b"}
    check_solver("new", {"beta": "c"})                          # its options are valid because it takes them
    assert "'alpha', 'beta'" in one_line_error(check_solver, "new", {"precision": 0.1})


def test_unknown_solvers_and_options_are_one_line():
    msg = one_line_error(check_solver, "newton", {})
    assert "unknown solver 'newton'" in msg and "default, fast, paper" in msg
    msg = one_line_error(check_solver, "default", {"stepz": 10, "precision": 0.1})
    assert "unknown option(s) ['stepz'] for solver 'default'" in msg and "'precision'" in msg
    assert "'precision'" in one_line_error(registry.run_solver, None, "paper", precision=0.01)   # before any work


def test_the_default_precision_is_the_signatures():
    from wordinfo.solvers.defaults import DEFAULT_PRECISION
    assert registry.solver_defaults("default")["precision"] == DEFAULT_PRECISION
    assert list(registry.SOLVERS) == ["default", "fast", "paper"] and callable(registry.SOLVERS["paper"])
