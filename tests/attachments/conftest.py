"""These tests exercise the human workflow, so the bot (tested in tests/bot) is switched off."""

from __future__ import annotations

import pytest

from yiwen.core.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"bot_enabled": False})
