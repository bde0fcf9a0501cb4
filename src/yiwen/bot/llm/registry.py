"""The one place that names a concrete LLM adapter, chosen by settings."""

from __future__ import annotations

import threading

from yiwen.bot.llm.openai_compat import OpenAICompatibleBackend
from yiwen.bot.llm.protocol import ChatBackend
from yiwen.core.settings import Settings

_backends: dict[tuple[str, str, str, float], OpenAICompatibleBackend] = {}
_lock = threading.Lock()


def build_backend(settings: Settings) -> ChatBackend | None:
    """The configured backend, or ``None`` when the LLM is off (the default) or has no model."""
    if not settings.llm_enabled or not settings.llm_model or not settings.llm_base_url:
        return None
    key = (
        settings.llm_base_url,
        settings.llm_api_key,
        settings.llm_model,
        settings.llm_timeout_seconds,
    )
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = OpenAICompatibleBackend(*key)
            _backends[key] = backend
    return backend
