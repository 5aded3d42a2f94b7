"""The package's top level (``wordinfo/__init__.py``): importing it is light; torch and transformers load on use."""

from __future__ import annotations

import subprocess
import sys


def test_import_wordinfo_is_light():
    code = ("import sys, wordinfo; wordinfo.WordinfoError; "
            "print('transformers' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    transformers_loaded, torch_loaded = out.stdout.split()
    assert transformers_loaded == "False"
    assert torch_loaded == "False"


def test_the_command_line_starts_without_torch():
    """``wordinfo --help`` reads the solver and method registries by name: no torch, no Captum."""
    code = ("import sys, wordinfo.cli; from typer.testing import CliRunner; "
            "r = CliRunner().invoke(wordinfo.cli.app, ['evaluate', '--help']); "
            "print(r.exit_code, 'torch' in sys.modules, 'captum' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "False", "False"]
