"""Opaque keyset cursors: lists are paginated by position, never by offset or total count."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from yiwen.core.errors import InvalidInput
from yiwen.core.i18n import register_messages

register_messages({"invalid_cursor": ("分页游标无效", "Invalid pagination cursor")})


def encode_cursor(moment: datetime, key: str) -> str:
    raw = json.dumps([moment.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment_text, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None or not isinstance(key, str):
            raise ValueError(cursor)
        # In UTC now: a forged moment that does not fit in UTC (year 1 at +14:00) is refused
        # here, not by the database driver with a 500.
        moment = moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("invalid_cursor") from None
    return moment, key
