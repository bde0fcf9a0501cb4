"""Checks on the addresses notifications go to, shared by the rules and the notifiers."""

from __future__ import annotations

import re

# One plain mailbox, no display name, no comments, nothing that could end a header.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^\+?[0-9]{6,20}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def is_phone(value: str) -> bool:
    return _PHONE.fullmatch(value) is not None


def one_line(text: str, limit: int = 200) -> str:
    """Text safe for a header: control characters (CR, LF…) become spaces."""
    return _CONTROL.sub(" ", text).strip()[:limit]
