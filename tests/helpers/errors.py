"""Checking the library's promise about bad input: one clear line, never a traceback."""

import pytest

from wordinfo.errors import WordinfoError


def one_line_error(fn, *args, **kwargs) -> str:
    """Call ``fn``, expect a WordinfoError, check that its message is one line, return it."""
    with pytest.raises(WordinfoError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert msg and "\n" not in msg.strip(), f"not a one-line message: {msg!r}"
    return msg
