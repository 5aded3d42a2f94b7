"""The benchmark's memory probe (``wordinfo.bench.memory``)."""

from __future__ import annotations

import numpy as np

from wordinfo.bench.memory import PeakMemory


def test_peak_memory_sees_an_allocation():
    with PeakMemory() as mem:
        block = np.ones(64 * 2**20 // 8)          # 64 MB, touched
        block += 1
    assert mem.extra_mb > 40
