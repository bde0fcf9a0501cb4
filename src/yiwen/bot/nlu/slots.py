"""All slots of one message, in the order that keeps them from reading each other's digits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .identifiers import extract_identifiers
from .money import extract_amount
from .payment import extract_payment_method
from .timewords import extract_time
from .types import Slots


@dataclass(frozen=True)
class SlotReading:
    slots: Slots
    # The message with identifiers replaced by placeholder words (ORDERNO, PHONE…).
    masked: str


def extract_slots(
    text: str,
    now: datetime,
    *,
    order_patterns: Sequence[str] | None = None,
    ticket_prefix: str = "YW",
) -> SlotReading:
    """Slots from an already normalised message (see ``text.normalise``)."""
    found = extract_identifiers(text, order_patterns=order_patterns, ticket_prefix=ticket_prefix)
    masked = found.masked
    slots = Slots(
        order_no=tuple(found.order_no),
        ticket_no=found.ticket_no,
        amount=extract_amount(masked),
        time=extract_time(masked, now),
        payment_method=extract_payment_method(masked),
        phone=found.phone,
        email=found.email,
        card_key=found.card_key,
    )
    return SlotReading(slots=slots, masked=masked)
