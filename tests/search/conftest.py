"""Search is tested on what customers and agents write; the bot's replies would only add noise."""

from __future__ import annotations

import pytest

from yiwen.core.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"bot_enabled": False})
