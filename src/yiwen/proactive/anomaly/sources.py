"""Where counts come from: Yiwen's own tables and the shop's pushes and payments.

Each source counts the events of a span of grid minutes ``[start, end)`` into
``Counts``: ``{SeriesKey: {minute: count}}``. They are recounted from scratch
for the last half hour at every run (see :mod:`yiwen.proactive.anomaly.ingest`),
so a push that failed late or a ticket committed a little after its minute is
still counted, and counting twice changes nothing.

When an event counts:

* a failed push at the minute the supplier answered;
* a slow push at the minute it passed the supplier's p90 answer time
  (``slow_after``) without a success;
* a missing payment callback ``CALLBACK_WAIT`` after the payment started;
* pushes and payments (the totals) at the minute they started;
* a conversation or ticket at the minute it was created.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.bot.models import BotOutcome
from yiwen.conversations.models import Conversation
from yiwen.core.clock import as_utc
from yiwen.proactive.anomaly.series import SeriesKey, minute_of, minute_start
from yiwen.store.protocol import StoreEvent
from yiwen.tickets.models import Ticket

Counts = dict[SeriesKey, dict[int, int]]
CALLBACK_WAIT = timedelta(minutes=5)
DEFAULT_SLOW_AFTER = timedelta(minutes=5)
MIN_SLOW_AFTER = timedelta(seconds=60)
CARD_INVALID = "card_invalid"
STORE_MEASURES = frozenset(
    {"push_total", "push_failed", "push_slow", "payment_total", "payment_callback_missing"}
)
OWN_MEASURES = frozenset({"card_invalid", "contacts"})


@dataclass
class Tally:
    """Counts being built, plus what is known about each value (labels, product suppliers)."""

    counts: Counts = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    labels: dict[SeriesKey, str] = field(default_factory=dict)
    suppliers: dict[SeriesKey, str] = field(default_factory=dict)

    def add(self, key: SeriesKey, minute: int, label: str | None = None) -> None:
        self.counts[key][minute] += 1
        if label:
            self.labels[key] = label


def count_store_events(
    tally: Tally,
    events: Iterable[StoreEvent],
    start: int,
    end: int,
    now: datetime,
    slow_after: Callable[[str], timedelta],
) -> None:
    for event in events:
        if event.kind == "upstream_push":
            _count_push(tally, event, start, end, now, slow_after)
        elif event.kind == "payment":
            _count_payment(tally, event, start, end, now)


def push_dimensions(event: StoreEvent) -> list[tuple[str, str, str | None]]:
    """(dimension, value, label) a push is counted under."""
    found: list[tuple[str, str, str | None]] = []
    if event.supplier:
        found.append(("supplier", event.supplier, event.supplier_name))
    if event.product_id:
        found.append(("product", event.product_id, event.product_name))
    if event.region:
        found.append(("region", event.region, None))
    return found


def payment_dimensions(event: StoreEvent) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []
    if event.payment_method:
        found.append(("payment_method", event.payment_method, None))
    if event.region:
        found.append(("region", event.region, None))
    return found


def push_problem(
    event: StoreEvent, now: datetime, slow_after: timedelta
) -> tuple[str, datetime] | None:
    """("push_failed" | "push_slow", when it became one), or None for a push that is fine."""
    if event.status == "failed" and event.finished_at is not None:
        return "push_failed", event.finished_at
    deadline = event.occurred_at + slow_after
    if deadline > now:
        return None
    answered_late = event.finished_at is not None and event.finished_at > deadline
    if event.status in ("pending", "processing") or (event.status == "succeeded" and answered_late):
        return "push_slow", deadline
    return None


def payment_problem(event: StoreEvent, now: datetime) -> tuple[str, datetime] | None:
    """A payment with no callback ``CALLBACK_WAIT`` after it started (and not failed)."""
    deadline = event.occurred_at + CALLBACK_WAIT
    if event.callback_received is False and event.status != "failed" and deadline <= now:
        return "payment_callback_missing", deadline
    return None


def _count_push(
    tally: Tally,
    event: StoreEvent,
    start: int,
    end: int,
    now: datetime,
    slow_after: Callable[[str], timedelta],
) -> None:
    dimensions = push_dimensions(event)
    started = minute_of(event.occurred_at)
    problem = push_problem(event, now, slow_after(event.supplier or ""))
    for dimension, value, label in dimensions:
        if start <= started < end:
            key = SeriesKey("push_total", dimension, value)
            tally.add(key, started, label)
            if dimension == "product" and event.supplier:
                tally.suppliers[key] = event.supplier
        if problem is not None and start <= minute_of(problem[1]) < end:
            key = SeriesKey(problem[0], dimension, value)
            tally.add(key, minute_of(problem[1]), label)
            if dimension == "product" and event.supplier:
                tally.suppliers[key] = event.supplier


def _count_payment(tally: Tally, event: StoreEvent, start: int, end: int, now: datetime) -> None:
    started = minute_of(event.occurred_at)
    problem = payment_problem(event, now)
    for dimension, value, label in payment_dimensions(event):
        if start <= started < end:
            tally.add(SeriesKey("payment_total", dimension, value), started, label)
        if problem is not None and start <= minute_of(problem[1]) < end:
            tally.add(SeriesKey(problem[0], dimension, value), minute_of(problem[1]), label)


def count_own_tables(db: Session, tally: Tally, start: int, end: int) -> None:
    """Contact volume and card-invalid reports from conversations, tickets and bot outcomes."""
    since, until = minute_start(start), minute_start(end)
    conversations = db.execute(
        select(Conversation.id, Conversation.channel, Conversation.created_at).where(
            Conversation.created_at >= since, Conversation.created_at < until
        )
    ).all()
    for _id, channel, created in conversations:
        minute = minute_of(as_utc(created))
        tally.add(SeriesKey("contacts", "all", "all"), minute)
        tally.add(SeriesKey("contacts", "channel", channel), minute)
    bot_reports = db.execute(
        select(BotOutcome.conversation_id, BotOutcome.channel, BotOutcome.created_at).where(
            BotOutcome.created_at >= since,
            BotOutcome.created_at < until,
            BotOutcome.intent == CARD_INVALID,
        )
    ).all()
    reported = set()
    for conversation_id, channel, created in bot_reports:
        reported.add(conversation_id)
        _card_invalid(tally, channel, minute_of(as_utc(created)))
    tickets = db.execute(
        select(Ticket.conversation_id, Ticket.channel, Ticket.category, Ticket.created_at).where(
            Ticket.created_at >= since, Ticket.created_at < until
        )
    ).all()
    for ticket_conversation, channel, category, created in tickets:
        minute = minute_of(as_utc(created))
        tally.add(SeriesKey("contacts", "category", category), minute)
        if ticket_conversation is None:  # a form, an email, a complaint: a contact of its own
            tally.add(SeriesKey("contacts", "all", "all"), minute)
            tally.add(SeriesKey("contacts", "channel", channel), minute)
        if category == CARD_INVALID and ticket_conversation not in reported:
            _card_invalid(tally, channel, minute)


def _card_invalid(tally: Tally, channel: str, minute: int) -> None:
    tally.add(SeriesKey("card_invalid", "all", "all"), minute)
    tally.add(SeriesKey("card_invalid", "channel", channel), minute)
