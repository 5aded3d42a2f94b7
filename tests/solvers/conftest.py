"""The solver tests' tiny tensors run on one intra-op thread."""

import pytest

from helpers.threads import one_thread


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny tensors: one intra-op thread. With two threads on a busy 2-core machine the
    OpenMP workers spin against each other and these files ran 8x slower (55 s vs 6 s)."""
    with one_thread():
        yield
