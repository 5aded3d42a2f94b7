"""The Hugging Face Hub: whether wordinfo may reach it.

The one place that sets ``HF_HUB_OFFLINE`` (only when the user has not set it), so that
loading a local directory never waits on a network this machine may not have.
"""

from __future__ import annotations

import os


def hub_offline_default() -> None:
    """Do not reach for the Hub unless the user asks: models load from disk."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
