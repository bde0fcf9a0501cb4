"""A stand-in for the real LLM service: an OpenAI-compatible chat-completions server.

It runs on loopback in the test process and speaks the same HTTP shape as
DeepSeek, Qwen, vLLM or Ollama (``POST /v1/chat/completions``), validating the
request as they do. Tests choose what it answers: text, a tool call, an HTTP
error or a reply that arrives too late.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

Reply = Callable[[list[dict[str, str]]], dict[str, Any]]


def text(content: str) -> Reply:
    return lambda _messages: {"role": "assistant", "content": content}


def tool_call(name: str, arguments: str) -> Reply:
    return lambda _messages: {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ],
    }


@dataclass
class Peer:
    reply: Reply = field(default_factory=lambda: text("好的"))
    status: int = 200
    delay_seconds: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str | None] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        ids = itertools.count(1)

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            self.auth_headers.append(request.headers.get("authorization"))
            messages = body.get("messages")
            if not body.get("model") or not isinstance(messages, list) or not messages:
                return JSONResponse(
                    {"error": {"message": "model and messages are required"}}, status_code=400
                )
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            if self.status != 200:
                return JSONResponse(
                    {"error": {"message": "internal error", "type": "server_error"}},
                    status_code=self.status,
                )
            message = self.reply(messages)
            return JSONResponse(
                {
                    "id": f"chatcmpl-{next(ids)}",
                    "object": "chat.completion",
                    "created": 1_795_000_000,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
            )

        return app
