"""The message catalogue: zh-CN by default, English on request.

Each feature registers its user-facing messages under stable codes; errors and
notices carry the code and are rendered in the caller's language at the edge.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["zh-CN", "en"]

_CATALOGUE: dict[str, dict[Language, str]] = {}


def register_messages(messages: dict[str, tuple[str, str]]) -> None:
    """Add ``code -> (zh-CN, English)`` pairs; a code registered twice must agree."""
    for code, (zh, en) in messages.items():
        existing = _CATALOGUE.get(code)
        if existing is not None and existing["zh-CN"] != zh:
            raise ValueError(f"message code {code!r} registered twice with different text")
        _CATALOGUE[code] = {"zh-CN": zh, "en": en}


def translate(code: str, /, language: Language = "zh-CN", **params: object) -> str:
    entry = _CATALOGUE.get(code)
    if entry is None:
        return code
    return entry[language].format_map(_Params(params))


class _Params(dict[str, object]):
    """Missing parameters render as empty text instead of failing the response."""

    def __missing__(self, key: str) -> str:
        return ""


def has_message(code: str) -> bool:
    return code in _CATALOGUE


def pick_language(accept_language: str | None) -> Language:
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return "zh-CN"


register_messages(
    {
        "invalid_request": ("请求参数有误：{detail}", "Invalid request: {detail}"),
        "malformed_json": ("请求内容不是合法的 JSON", "The request body is not valid JSON"),
        "not_found": ("请求的资源不存在", "The requested resource does not exist"),
        "method_not_allowed": ("不支持该请求方法", "Method not allowed"),
        "internal_error": (
            "服务器内部错误，请稍后再试",
            "Internal server error, please retry later",
        ),
        "conflict": ("操作冲突，请刷新后重试", "Conflict, please refresh and retry"),
        "rate_limited": ("请求过于频繁，请稍后再试", "Too many requests, please slow down"),
        "payload_too_large": ("上传内容过大", "Payload too large"),
    }
)
