"""The fact guard: model output may reword the input, never add to it.

A customer who is told a wrong order number, amount, card key or link by the
shop's own assistant has been misled, however fluent the sentence. So every
such fact in the output must already appear in the text the model was given;
otherwise the output is discarded. Numbers are compared by value ("50" and
"50.00" agree), the rest as normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

_EDGE = r"(?<![A-Za-z0-9])"
_END = r"(?![A-Za-z0-9])"
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s，。、！？）)\]】>]+"
    r"|"
    + _EDGE
    + r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|top|xyz|io|cc|me|vip|shop|link|info)"
    r"(?:/[^\s，。、！？）)\]】>]*)?" + _END,
    re.IGNORECASE,
)
# Card keys: dash-separated groups (XXXX-XXXX-XXXX) or a long run mixing letters and digits.
_CARD_KEY = re.compile(
    _EDGE + r"(?:[A-Z0-9]{3,}(?:-[A-Z0-9]{3,}){2,}"
    r"|(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{10,})" + _END,
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CHINESE_AMOUNT = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+\s*(?:元|块|圆|角|毛)")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _links(text: str) -> set[str]:
    return {m.group(0).rstrip(".,;:!?").lower() for m in _LINK.finditer(text)}


def _card_keys(text: str) -> set[str]:
    return {m.group(0).upper() for m in _CARD_KEY.finditer(text)}


def _numbers(text: str) -> set[Decimal]:
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        try:
            found.add(Decimal(match.group(0)).normalize())
        except InvalidOperation:
            continue
    return found


def _chinese_amounts(text: str) -> set[str]:
    return {re.sub(r"\s+", "", m.group(0)) for m in _CHINESE_AMOUNT.finditer(text)}


def added_facts(output: str, *sources: str) -> list[str]:
    """Links, card keys, numbers and spelled-out amounts of ``output`` absent from ``sources``."""
    given = _normalise("\n".join(sources))
    said = _normalise(output)
    added: list[str] = []
    added += sorted(_links(said) - _links(given))
    added += sorted(_card_keys(said) - _card_keys(given))
    added += sorted(format(n, "f") for n in _numbers(said) - _numbers(given))
    added += sorted(_chinese_amounts(said) - _chinese_amounts(given))
    return added
