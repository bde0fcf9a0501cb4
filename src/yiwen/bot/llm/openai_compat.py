"""A client for the OpenAI-compatible ``/v1/chat/completions`` API.

DeepSeek, Qwen (DashScope compatible mode), vLLM and Ollama all speak this
shape. The request never carries ``tools`` or ``functions``; a reply that
nevertheless contains a tool or function call is refused rather than read,
because nothing the model says may turn into an action.
"""

from __future__ import annotations

import json
import logging

import httpx

from yiwen.bot.llm.protocol import ChatMessage, LLMOutputRefused, LLMUnavailable

log = logging.getLogger("yiwen.bot.llm")

# Answers are short; a cap keeps a runaway model from costing time and money.
MAX_TOKENS = 600
TEMPERATURE = 0.3
_CALL_KEYS = frozenset({"tool_calls", "function_call", "tool_call", "arguments"})


class OpenAICompatibleBackend:
    def __init__(self, base_url: str, api_key: str, model: str, timeout_seconds: float) -> None:
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds),
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def complete(self, messages: list[ChatMessage]) -> str:
        payload = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": TEMPERATURE,
            "max_tokens": MAX_TOKENS,
            "stream": False,
        }
        try:
            response = self._client.post("chat/completions", json=payload)
        except httpx.HTTPError as exc:
            log.warning("llm request failed: %s", type(exc).__name__)
            raise LLMUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            log.warning("llm answered HTTP %s", response.status_code)
            raise LLMUnavailable(f"HTTP {response.status_code}")
        return _content_of(response)


def _content_of(response: httpx.Response) -> str:
    try:
        choice = response.json()["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMUnavailable("malformed completion") from exc
    if not isinstance(message, dict):
        raise LLMUnavailable("malformed completion")
    if (
        message.get("tool_calls")
        or message.get("function_call")
        or (choice.get("finish_reason") in ("tool_calls", "function_call"))
    ):
        log.warning("llm reply with a tool call ignored")
        raise LLMOutputRefused("tool call")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise LLMUnavailable("empty completion")
    if looks_like_a_call(content):
        log.warning("llm reply shaped like a function call ignored")
        raise LLMOutputRefused("tool call in content")
    return content.strip()


def looks_like_a_call(content: str) -> bool:
    """Some servers put a tool call in the text as JSON; that is an action, not a reply."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    if not text.startswith(("{", "[")):
        return False
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    items = parsed if isinstance(parsed, list) else [parsed]
    for item in items:
        if isinstance(item, dict) and (
            _CALL_KEYS & item.keys() or {"name", "parameters"} <= item.keys()
        ):
            return True
    return False
