"""The ``wordinfo`` command line: one module per command group, shared options in ``options.py``.

Adding a command: write it in its own module as a function decorated with ``@command``
(``app.py``), its options from ``options.py`` where one exists, and import the module below.
"""

from __future__ import annotations

from . import analysis, bench, evaluate, explain, run, study, train  # noqa: F401,E402,I001  (registration order = --help order)
from .app import app

OPTIONAL_VALUE = {"--ray": "local"}     # options that may stand alone, and what they mean then


def main() -> None:
    import sys
    app(args=with_optional_values(sys.argv[1:]))


def with_optional_values(args: list[str]) -> list[str]:
    """``--ray`` alone means ``--ray local``; ``--ray ADDRESS`` joins a cluster.

    Written by hand because Typer's parser has no option whose value may be left out (click's
    ``is_flag=False, flag_value=...`` does not reach it): an option of :data:`OPTIONAL_VALUE`
    followed by nothing or by another option gets its stand-alone value inserted."""
    out = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg in OPTIONAL_VALUE and (i + 1 == len(args) or args[i + 1].startswith("-")):
            out.append(OPTIONAL_VALUE[arg])
    return out


__all__ = ["app", "main"]
