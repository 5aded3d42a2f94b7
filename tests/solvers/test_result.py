"""What every solver returns (``wordinfo.solvers._result.SolverResult``): moved to the CPU whole, sigma bounded."""

from __future__ import annotations

import dataclasses
import math

import torch

from wordinfo.solvers._result import SolverResult


def _full_result() -> SolverResult:
    g = torch.Generator().manual_seed(0)
    values = {f.name: torch.rand(2, 3, 4, generator=g) if f.name in ("log_sigma", "log_sigma_se")
              else torch.rand(2, 3, generator=g) for f in dataclasses.fields(SolverResult) if f.name != "info"}
    values.update(steps=torch.arange(6).reshape(2, 3), converged=torch.tensor([[True, False, True]] * 2))
    return SolverResult(**values, info={"groups": 2})


def test_cpu_moves_every_field():
    """Every field, those added later included, survives ``cpu()``: the same values, a new result."""
    r = _full_result()
    moved = r.cpu()
    assert moved is not r
    for f in dataclasses.fields(SolverResult):
        before, after = getattr(r, f.name), getattr(moved, f.name)
        if f.name == "info":
            assert after == {"groups": 2}
            continue
        assert isinstance(after, torch.Tensor) and after.device.type == "cpu", f.name
        assert after.dtype == before.dtype and torch.equal(after, before), f.name
    assert moved.log_sigma_se is not None and moved.samples is not None and moved.sampling_error is not None


def test_cpu_keeps_missing_fields_missing():
    r = SolverResult(log_sigma=torch.zeros(1, 1, 3), steps=torch.ones(1, 1, dtype=torch.long),
                     evaluations=torch.ones(1, 1, dtype=torch.long), converged=torch.ones(1, 1, dtype=torch.bool),
                     loss=torch.zeros(1, 1))
    moved = r.cpu()
    assert moved.log_sigma_se is None and moved.samples is None and moved.sampling_error is None and moved.info == {}


def test_sigma_never_exceeds_the_bound():
    r = SolverResult(log_sigma=torch.tensor([[[math.log(0.1), math.log(0.5), math.log(0.5) + 1e-3, 3.0]]]),
                     steps=torch.ones(1, 1), evaluations=torch.ones(1, 1), converged=torch.ones(1, 1, dtype=torch.bool),
                     loss=torch.zeros(1, 1))
    sigma = r.sigma(0.5)[0, 0]
    torch.testing.assert_close(sigma, torch.tensor([0.1, 0.5, 0.5, 0.5]))
