"""Calling the ``wordinfo`` command line in-process, and checking its one-line errors (exit code 2)."""

from __future__ import annotations

from typer.testing import CliRunner

from wordinfo.cli import app


def invoke(*args):
    """``wordinfo ARGS...`` through Typer's test runner (paths and numbers may be given as they are)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean_error(result, *fragments):
    """Exit code 2, no traceback, one line on stderr that starts with 'error:' and holds every fragment
    (case-insensitive), nothing on stdout; returns the line."""
    text = result.output + (result.stderr or "")
    assert result.exit_code == 2, f"exit code {result.exit_code}, exception {result.exception!r}, output {text!r}"
    assert "Traceback" not in text
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("error:"), lines[0]
    for f in fragments:
        assert f.lower() in lines[0].lower(), f"{f!r} not in {lines[0]!r}"
    assert not result.stdout.strip()
    return lines[0]


def assert_error_line(result, fragment):
    """Exit code 2 and one line on stderr that starts with 'error:' and holds ``fragment`` (case-sensitive)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], lines


def assert_ends_in_one_error(result, *fragments):
    """Exit code 2, no traceback, and exactly one line on stderr that starts with 'error:', the last one (a command
    such as ``run`` may log what it read before it); returns the line."""
    text = result.output + (result.stderr or "")
    assert result.exit_code == 2, f"exit code {result.exit_code}, exception {result.exception!r}, output {text!r}"
    assert "Traceback" not in text
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], f"expected one error line, the last, got {lines!r}"
    for f in fragments:
        assert f.lower() in errors[0].lower(), f"{f!r} not in {errors[0]!r}"
    return errors[0]
