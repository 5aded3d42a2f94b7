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
