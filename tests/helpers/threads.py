"""One torch thread for tiny tensors."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def one_thread():
    """One torch thread: on a shared 2-core machine, two threads fighting other processes run 100x slower."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
