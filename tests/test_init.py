"""The package's top level (``wordinfo/__init__.py``): importing it is light; torch and transformers load on use."""

from __future__ import annotations

from helpers.interpreter import fresh_python


def test_import_wordinfo_is_light():
    code = ("import sys, wordinfo; wordinfo.WordinfoError; "
            "print('transformers' in sys.modules, 'torch' in sys.modules)")
    transformers_loaded, torch_loaded = fresh_python(code)
    assert transformers_loaded == "False"
    assert torch_loaded == "False"


def test_the_command_line_starts_without_torch():
    """``wordinfo --help`` reads the solver and method registries by name: no torch, no Captum."""
    code = ("import sys, wordinfo.cli; from typer.testing import CliRunner; "
            "r = CliRunner().invoke(wordinfo.cli.app, ['evaluate', '--help']); "
            "print(r.exit_code, 'torch' in sys.modules, 'captum' in sys.modules)")
    assert fresh_python(code) == ["0", "False", "False"]
