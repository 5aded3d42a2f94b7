"""The solvers' view of a batch (``wordinfo.problem.Problem``): bfloat16 noisy passes give the float32 answer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from wordinfo.job import prepare


@pytest.fixture(scope="module")
def problem(tiny_bert_of):
    job = prepare(*tiny_bert_of(64), calibration="none", lam=0.05, dtype="bfloat16")
    with job.encoder.frozen():
        p, _ = job.problem(["the film is a warm , funny and sad look at a family in trouble"])
    assert p.compute_dtype is torch.bfloat16
    return job, p


def test_bfloat16_gives_the_float32_answer(problem):
    job, p = problem
    with job.encoder.frozen():
        low = job.solve(p).log_sigma
        full = job.solve(dataclasses.replace(p, compute_dtype=None)).log_sigma
    m = p.mask[0]
    for t in range(low.shape[0]):
        a, b = low[t, 0, m].numpy(), full[t, 0, m].numpy()
        assert spearmanr(a, b)[0] > 0.9
        assert np.median(np.abs(np.exp(a - b) - 1)) < 0.05          # sigma within 5% for the typical word


def test_bfloat16_rounding_is_small_against_the_error_an_answer_balances(problem):
    """At zero noise the bfloat16 pass differs from the clean float32 output only by rounding."""
    job, p = problem
    items = torch.tensor([0])
    eps = p.noise(items, 1, stream=1)
    with job.encoder.frozen():
        answer = job.solve(p).log_sigma
        with torch.no_grad():
            tiny = p.sample_errors(torch.full_like(answer, -30.0), items, eps).mean()
            at_answer = p.sample_errors(answer, items, eps).mean()
    assert tiny < 0.02 * at_answer
