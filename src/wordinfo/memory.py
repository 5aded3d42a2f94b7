"""Memory: freed heap memory goes back to the system, and a noisy pass is sized to the memory there is."""

from __future__ import annotations

import ctypes


def release_memory() -> None:
    """Give freed heap memory back to the system (glibc's malloc_trim; nothing elsewhere).

    The solver allocates many temporaries of sentence-dependent shapes; without this the
    heap fragments and the process grows with the number of sentences explained (MiniLM,
    fast solver: 1.2 GB after 10 sentences, 2.8 GB after 160), with it it stays at what
    the longest sentence needs (about 1 GB).
    """
    global _LIBC  # noqa: PLW0603 (one lookup of libc per process)
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC(0)


_LIBC = None


MAX_TOKENS = 16384        # token positions per noisy pass at most (MiniLM: about 3 GB of activations)
MEMORY_SHARE = 0.4        # of the memory available when a job starts, what one pass may hold


def available_bytes(device=None) -> int | None:
    """Memory free for this process: the GPU's free memory, or the system's MemAvailable (Linux); None unknown."""
    import torch
    if device is not None and torch.device(device).type == "cuda":
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def tokens_per_pass(bytes_per_token: float, device=None) -> int:
    """How many token positions one noisy pass (forward and backward) may hold: ``MAX_TOKENS`` for a small
    model, fewer where the activations of that many would not fit ``MEMORY_SHARE`` of the free memory."""
    free = available_bytes(device)
    if free is None or bytes_per_token <= 0:
        return MAX_TOKENS
    return int(max(64, min(MAX_TOKENS, MEMORY_SHARE * free / bytes_per_token)))
