"""What the rest of Yiwen needs from a chat model, whoever serves it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class LLMError(Exception):
    """The model gave nothing usable; callers fall back to text they already have."""


class LLMUnavailable(LLMError):
    """The endpoint could not be reached, timed out, or answered with an error or garbage."""


class LLMOutputRefused(LLMError):
    """The model answered, but with a tool call or facts it was not given."""


class ChatBackend(Protocol):
    model: str

    def complete(self, messages: list[ChatMessage]) -> str:
        """The assistant's text for ``messages``; raises ``LLMError`` when there is none."""
        ...
