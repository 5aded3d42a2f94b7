"""``wordinfo.integrations``: importing it is light; the callback loads transformers on first use."""

from __future__ import annotations

import pytest

from helpers.interpreter import fresh_python


def test_import_integrations_is_light_and_the_callback_is_a_trainer_callback():
    code = ("import sys, wordinfo.integrations as wi; light = 'transformers' not in sys.modules and 'torch' not in "
            "sys.modules; import transformers; print(light, issubclass(wi.InformationCallback, "
            "transformers.TrainerCallback), 'InformationCallback' in dir(wi))")
    assert fresh_python(code) == ["True", "True", "True"]


def test_an_unknown_name_is_an_attribute_error():
    import wordinfo.integrations
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        wordinfo.integrations.Nothing  # noqa: B018
