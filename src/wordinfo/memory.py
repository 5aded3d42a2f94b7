"""Keeping a long-running process small: freed heap memory goes back to the system."""

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
