"""Choosing where to explain: device names, clear errors, and results that come back on the CPU.

The GPU path itself needs a GPU; these checks run anywhere.
"""

import pytest
import torch
from typer.testing import CliRunner

from wordinfo.cli import app
from wordinfo.device import resolve_device
from wordinfo.errors import WordinfoError
from wordinfo.solvers._result import SolverResult


def test_device_names():
    assert resolve_device(None) is None
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(WordinfoError, match="unknown device"):
        resolve_device("gpu-please")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for machines without a GPU")
def test_asking_for_a_missing_gpu_is_one_clear_line():
    result = CliRunner().invoke(app, ["explain", "a fine film", "--device", "cuda"])
    assert result.exit_code == 2
    assert "sees no GPU" in result.output and "--device cpu" in result.output
    assert "Traceback" not in result.output


def test_solver_results_move_to_the_cpu():
    r = SolverResult(log_sigma=torch.zeros(1, 1, 3), steps=torch.ones(1, 1, dtype=torch.long),
                     evaluations=torch.ones(1, 1, dtype=torch.long), converged=torch.ones(1, 1, dtype=torch.bool),
                     loss=torch.zeros(1, 1), info={"groups": 2})
    moved = r.cpu()
    assert moved.log_sigma.device.type == "cpu" and moved.info == {"groups": 2}
    assert torch.equal(moved.steps, r.steps)


def test_explain_records_its_device(tiny_bert):
    import wordinfo
    model, tok = tiny_bert
    exp = wordinfo.explain("a fine film", model, tok, calibration="none", solver="fast", device="cpu")
    assert exp.settings["device"] == "cpu"
