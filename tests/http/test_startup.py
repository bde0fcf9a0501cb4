"""An app process is ready before it takes its first request."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from yiwen.bot import segment


def test_the_word_segmenter_is_built_before_the_first_request(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jieba's dictionary takes seconds to build; the first customer's message (its search
    index, the bot) must not wait for it, in any way the app is started (yiwen serve, or
    uvicorn's factory under another process manager)."""
    monkeypatch.setattr(segment, "_tokenizer", None)
    with TestClient(app):
        assert segment._tokenizer is not None
