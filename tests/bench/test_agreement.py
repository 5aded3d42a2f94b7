"""The benchmark's comparisons (``wordinfo.bench.agreement``, timed by ``bench.timing``): on common noise, on a tiny
model (the real runs are ``wordinfo bench``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wordinfo.bench.agreement import agreement, common_objective, objective_gap
from wordinfo.bench.timing import run_solver_on
from wordinfo.job import prepare


@pytest.fixture(scope="module")
def job(tiny_bert):
    return prepare(*tiny_bert, calibration="none", lam=0.01)


def test_runs_are_compared_on_common_noise(job):
    problems = [job.problem(["a warm and funny film", "dull"])[0]]
    default = run_solver_on(job, problems, "default", max_samples=32)
    fast = run_solver_on(job, problems, "fast")
    assert default.layer_evaluations > fast.layer_evaluations > 0
    assert agreement(problems, default.log_sigma, default.log_sigma) == pytest.approx([1.0] * 4)
    assert objective_gap(problems, default.log_sigma, default.log_sigma) == pytest.approx([0.0] * 4, abs=1e-6)
    # a clearly worse answer (every sigma halved) has a higher objective on the common noise
    worse = [u - np.log(2.0) for u in default.log_sigma]
    assert min(objective_gap(problems, worse, default.log_sigma)) > 0
    # the common noise is fixed: evaluating twice gives the same objective
    p = problems[0]
    assert torch.equal(common_objective(p, default.log_sigma[0]), common_objective(p, default.log_sigma[0]))
