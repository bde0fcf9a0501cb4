"""Identifiers in a message: ticket and order numbers, card keys, phones, emails.

They all look alike (runs of letters and digits), so they are taken in an order
that settles the conflicts: the most specific shapes first (ticket number, email,
dashed card key), then the shop's own order-number patterns, then mobile numbers
among what is left. Each match is replaced by a placeholder word so that the
intent model sees "ORDERNO" instead of noise and the time and money parsers
never read digits out of an order number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# The demo shop's formats (store/connectors/demo): dujiaoka's 16 upper-case letters
# and digits with at least one letter, and local time yyyyMMddHHmmss + 6 digits.
# Used when the caller does not pass the connector's own patterns.
DEFAULT_ORDER_PATTERNS: tuple[str, ...] = (
    r"(?=[0-9]*[A-Z])[A-Z0-9]{16}",
    r"20\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d\d{6}",
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Card keys are groups of 4-8 letters/digits joined by dashes: XXXX-XXXX-XXXX-XXXX,
# XXXXX-XXXXX-XXXXX, XXXXXX-XXXXXX-XXXXXX. Phone numbers written 138-1234-5678
# start with a 3-digit group and so never match.
_CARD_KEY = re.compile(
    r"(?<![A-Za-z0-9-])[A-Za-z0-9]{4,8}(?:-[A-Za-z0-9]{4,8}){2,5}(?![A-Za-z0-9-])"
)
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?![A-Za-z0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![0-9])")
# A number right after "订单号" is an order number even in a format we do not know,
# but a courier's 快递单号 or a payment's 交易单号 is not the shop's order.
_LABELLED_ORDER = re.compile(
    r"(?<!快递)(?<!物流)(?<!运)(?<!交易)(?<!流水)(?<!商户)(?<!支付)(?<!顺丰)(?<!圆通)(?<!中通)"
    r"(?<!韵达)(?<!申通)(?<!邮政)(?<!快递的)"
    r"(?:订单号|订单编号|单号|订单|order\s*(?:no\.?|number|id)?)\s*(?:是|为|:|#)?\s*"
    r"((?=[A-Za-z]*[0-9])[A-Za-z0-9]{8,32})(?![A-Za-z0-9])",
    re.IGNORECASE,
)


@dataclass
class Identifiers:
    order_no: list[str] = field(default_factory=list)
    ticket_no: str | None = None
    card_key: str | None = None
    phone: str | None = None
    email: str | None = None
    # The text with every identifier replaced by its placeholder word.
    masked: str = ""


def extract_identifiers(
    text: str, *, order_patterns: Sequence[str] | None = None, ticket_prefix: str = "YW"
) -> Identifiers:
    found = Identifiers()
    ticket = re.compile(
        rf"(?<![A-Za-z0-9]){re.escape(ticket_prefix)}(\d{{8}})\s*-?\s*(\d{{6}})(?![0-9])",
        re.IGNORECASE,
    )
    match = ticket.search(text)
    if match:
        # Written without the dash or in lower case, it is still the same ticket.
        found.ticket_no = f"{ticket_prefix.upper()}{match[1]}-{match[2]}"
        text = ticket.sub(" TICKETNO ", text)
    text, emails = _take(_EMAIL, text, " EMAIL ")
    if emails:
        found.email = emails[0]
    text, keys = _take(_CARD_KEY, text, " CARDKEY ")
    if keys:
        found.card_key = keys[0]
    text, found.order_no = _take_orders(text, order_patterns or DEFAULT_ORDER_PATTERNS)
    text, phones = _take(_PHONE, text, " PHONE ")
    if phones:
        found.phone = re.sub(r"\D", "", phones[0])[-11:]
    found.masked = text
    return found


def _take(pattern: re.Pattern[str], text: str, placeholder: str) -> tuple[str, list[str]]:
    values: list[str] = []

    def keep(match: re.Match[str]) -> str:
        values.append(match.group(0))
        return placeholder

    return pattern.sub(keep, text), values


def _take_orders(text: str, patterns: Sequence[str]) -> tuple[str, list[str]]:
    compiled = [re.compile(pattern) for pattern in patterns]
    values: list[str] = []

    def keep(match: re.Match[str]) -> str:
        token = match.group(0)
        # Customers type order numbers in lower case; match the shop's (upper-case)
        # format but report the number as written.
        candidates = (token, token.upper()) if any(ch.isdigit() for ch in token) else (token,)
        if any(p.fullmatch(c) for p in compiled for c in candidates):
            if token not in values:
                values.append(token)
            return " ORDERNO "
        return token

    text = _TOKEN.sub(keep, text)

    def keep_labelled(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in values:
            values.append(token)
        return match.group(0)[: match.start(1) - match.start(0)] + " ORDERNO "

    return _LABELLED_ORDER.sub(keep_labelled, text), values
