"""The ``wordinfo`` command line: one module per command group, shared options in ``options.py``.

Adding a command: write it in its own module as a function decorated with ``@command``
(``app.py``), its options from ``options.py`` where one exists, and import the module below.
"""

from __future__ import annotations

from . import analysis, bench, evaluate, explain, run, train  # noqa: F401,E402,I001  (registration order = --help order)
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
