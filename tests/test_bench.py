"""The benchmark's building blocks on a tiny model (the real runs are `wordinfo bench`)."""

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from wordinfo.bench import PeakMemory, agreement, common_objective, objective_gap, run_solver_on, sst2_sentences
from wordinfo.cli import app
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


def test_peak_memory_sees_an_allocation():
    with PeakMemory() as mem:
        block = np.ones(64 * 2**20 // 8)          # 64 MB, touched
        block += 1
    assert mem.extra_mb > 40


def test_sst2_reader(tmp_path):
    f = tmp_path / "t.tsv"
    f.write_text("1\ta fine film\n0\tbad\n")
    assert sst2_sentences(f) == ["a fine film", "bad"]
    assert sst2_sentences(f, 1) == ["a fine film"]


def test_bench_cli_errors_cleanly_on_missing_data(tmp_path):
    result = CliRunner().invoke(app, ["bench", "--quick", "--data", str(tmp_path / "none.tsv")])
    assert result.exit_code == 2
    assert "not found" in result.output and "Traceback" not in result.output
