"""Where and in which arithmetic the noisy passes run: the device a user asks for, and bfloat16 where it is fast."""

from __future__ import annotations

import torch


def compute_dtype(name: str, device: torch.device | str = "cpu") -> torch.dtype | None:
    """The dtype of the noisy passes for ``name``: 'float32' (None: no autocast), 'bfloat16', or
    'auto' = bfloat16 where the hardware runs it fast (CUDA; CPUs with AVX512-BF16 or AMX), else float32.
    """
    from .errors import WordinfoError
    name = str(name).lower()
    if name in ("float32", "fp32"):
        return None
    if name in ("bfloat16", "bf16"):
        return torch.bfloat16
    if name != "auto":
        raise WordinfoError(f"unknown dtype {name!r}: use auto, float32 or bfloat16")
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    fast_bf16 = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return torch.bfloat16 if device.type == "cpu" and fast_bf16 else None


def weights_dtype(name: str) -> torch.dtype | None:
    """The dtype to load a model's weights in for the ``dtype`` a user asks for: bfloat16 for 'bfloat16'
    (half the memory: a 1B-parameter model in 2.2 GB rather than 4.4), else None (the checkpoint's float32;
    'auto' keeps float32 weights and runs only the matrix products in bfloat16)."""
    return torch.bfloat16 if str(name).lower() in ("bfloat16", "bf16") else None


def resolve_device(name: str | torch.device | None) -> torch.device | None:
    """Where to explain: None keeps the model where it is, 'auto' is the GPU when there is one."""
    from .errors import WordinfoError
    if name is None or isinstance(name, torch.device):
        return name
    if str(name).lower() == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise WordinfoError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise WordinfoError(f"device {name!r} asked for but this PyTorch sees no GPU: use --device cpu")
    return device
