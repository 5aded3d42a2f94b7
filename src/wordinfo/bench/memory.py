"""Peak memory of a benchmark case: resident set size from /proc, sampled, and the GPU's peak allocation."""

from __future__ import annotations

import os
import threading

import torch


class PeakMemory:
    """Peak resident memory above the level at entry, sampled every 5 ms from /proc (Linux),
    plus the GPU's peak allocation above its level at entry when ``device`` is a GPU.

    ``pids``: measure the sum over those processes (worker processes) instead of this one."""

    def __init__(self, device: torch.device | None = None, pids: list[int] | None = None):
        self.gpu = device is not None and torch.device(device).type == "cuda"
        self.pids = pids

    def __enter__(self):
        self.start = self.peak = self._rss()
        if self.gpu:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.gpu_start = torch.cuda.memory_allocated()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.gpu_extra = (torch.cuda.max_memory_allocated() - self.gpu_start) if self.gpu else 0

    def _rss(self) -> int:
        return sum(rss(pid) for pid in self.pids) if self.pids else rss()

    @property
    def extra_mb(self) -> float:
        return (self.peak - self.start) / 2**20

    @property
    def gpu_extra_mb(self) -> float:
        return self.gpu_extra / 2**20


def rss(pid: int | str = "self") -> int:
    """Resident set size of process ``pid`` in bytes, from ``/proc/PID/statm``; 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0
