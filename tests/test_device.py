"""Choosing where and in what precision to explain (``wordinfo.device``): device and dtype names; on a GPU, the
same answer as on the CPU, and results that come back on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import wordinfo
from wordinfo.device import compute_dtype, resolve_device
from wordinfo.errors import WordinfoError
from wordinfo.job import prepare


def test_device_names():
    assert resolve_device(None) is None
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(WordinfoError, match="unknown device"):
        resolve_device("gpu-please")


def test_dtype_names():
    assert compute_dtype("float32") is None
    assert compute_dtype("bfloat16") is torch.bfloat16
    assert compute_dtype("auto") in (None, torch.bfloat16)
    with pytest.raises(WordinfoError, match="unknown dtype"):
        compute_dtype("float8")


@pytest.mark.gpu
def test_cuda_gives_the_cpu_answer_and_results_come_back_on_the_cpu(tiny_bert_of):
    """The same tiny BERT (the same seed: the same weights) explained on the GPU and on the CPU, in float32 with the
    fast solver: the noise is keyed by content, not drawn on the device, so the answers agree to rounding. (The GPU
    computes sigma_S first; the CPU run finds it in the cache, keyed by the weights.)"""
    text = "a warm , funny and sad look at a family in trouble"
    options = dict(solver="fast", dtype="float32", seed=0)
    (on_cpu, tokenizer), (on_gpu, _) = tiny_bert_of(32), tiny_bert_of(32)
    gpu = wordinfo.explain(text, on_gpu, tokenizer, device="cuda", **options)
    cpu = wordinfo.explain(text, on_cpu, tokenizer, device="cpu", **options)
    assert cpu.settings["device"] == "cpu" and gpu.settings["device"].startswith("cuda")
    assert gpu.tokens() == cpu.tokens() and gpu.layers == cpu.layers
    assert np.isfinite(gpu.sigma[0]).all()
    np.testing.assert_allclose(gpu.sigma[0], cpu.sigma[0], rtol=1e-3)

    job = prepare(on_gpu, tokenizer, device="cuda", **options)
    with job.encoder.frozen():
        problem, _ = job.problem([text])
        assert problem.x.device.type == "cuda"
        result = job.solve(problem)
    tensors = {k: v for k, v in vars(result).items() if isinstance(v, torch.Tensor)}
    assert {"log_sigma", "steps", "converged", "log_sigma_se"} <= set(tensors)
    assert all(v.device.type == "cpu" for v in tensors.values()), {k: v.device for k, v in tensors.items()}
    np.testing.assert_allclose(result.sigma(job.scale)[:, 0].numpy(), gpu.sigma[0], rtol=1e-3)
