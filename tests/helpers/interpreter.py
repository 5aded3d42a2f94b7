"""Run a snippet in a fresh Python interpreter (what an import pulls in can only be seen from a clean start)."""

from __future__ import annotations

import subprocess
import sys


def fresh_python(code: str) -> list[str]:
    """The words ``code`` prints in a new interpreter of this environment; its failure fails the test."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()
