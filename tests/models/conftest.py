"""The saved tiny native models every test of the adapters, checkpoints and checks reads."""

from __future__ import annotations

import pytest

from helpers.models import NATIVE_KEYS, save_native


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """One saved tiny model per (family, arch): {key: (model, directory)}."""
    from wordinfo.training.minilm import minilm_tokenizer
    tokenizer = minilm_tokenizer()
    return {key: save_native(key, tmp_path_factory.mktemp("-".join(key)), tokenizer) for key in NATIVE_KEYS}
