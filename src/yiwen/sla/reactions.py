"""The SLA feature's in-transaction reactions to ticket and message events.

They run inside the emitter's transaction (``bus.subscribe_in_transaction``), so
the clock changes exactly when the ticket does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from yiwen.conversations.pipeline import add_prefetch
from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.core.settings import Settings
from yiwen.sla import clocks, closing
from yiwen.sla.models import TicketSla
from yiwen.sla.policies import load_calendar
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import OPEN_STATUSES

Reaction = Callable[[Session, DomainEvent], None]
_PREFETCHED_TICKETS = "yiwen_sla_prefetched_tickets"


def _clock(db: Session) -> Clock:
    return cast(Clock, session_context(db, "clock"))


def _now(db: Session) -> datetime:
    return _clock(db).now()


def _settings(db: Session) -> Settings:
    return cast(Settings, session_context(db, "settings"))


def _reschedule(db: Session, row: TicketSla, now: datetime) -> None:
    clocks.schedule(
        row, load_calendar(db, row.calendar_id), now, _settings(db).sla_warning_fractions
    )


def _clock_of(db: Session, ticket_id: object) -> tuple[Ticket, TicketSla] | None:
    ticket = db.get(Ticket, str(ticket_id))
    row = db.get(TicketSla, str(ticket_id))
    if ticket is None or row is None:
        return None
    return ticket, row


def on_ticket_created(db: Session, event: DomainEvent) -> None:
    ticket = db.get(Ticket, str(event.payload["ticket_id"]))
    if ticket is None or db.get(TicketSla, ticket.id) is not None:
        return
    now = _now(db)
    row = clocks.start_clock(db, now, ticket)
    _reschedule(db, row, now)


def on_status_changed(db: Session, event: DomainEvent) -> None:
    found = _clock_of(db, event.payload["ticket_id"])
    if found is None:
        return
    ticket, row = found
    now = _now(db)
    after = event.payload.get("after")
    if after == "pending_customer":
        clocks.pause(row, now)
    elif after == "closed":
        clocks.meet(row, tuple(clocks.DUE_FIELDS), now)
        row.paused_since = None
        closing.forget(db, ticket.id)
    elif after in OPEN_STATUSES:
        clocks.resume(db, row, now, ticket)
    _reschedule(db, row, now)


def on_ticket_event(db: Session, event: DomainEvent) -> None:
    """Priority and category changes are timeline events (``fields_changed``)."""
    if event.payload.get("kind") != "fields_changed":
        return
    found = _clock_of(db, event.payload["ticket_id"])
    if found is None or found[0].status not in OPEN_STATUSES:
        return
    ticket, row = found
    now = _now(db)
    clocks.recompute_targets(db, now, ticket, row)
    _reschedule(db, row, now)


def on_ticket_resolved(db: Session, event: DomainEvent) -> None:
    found = _clock_of(db, event.payload["ticket_id"])
    if found is None:
        return
    ticket, row = found
    now = _now(db)
    clocks.meet(row, tuple(clocks.DUE_FIELDS), now)
    row.paused_since = None
    _reschedule(db, row, now)
    closing.ask_for_confirmation(db, _clock(db), ticket, _settings(db))


def on_ticket_reopened(db: Session, event: DomainEvent) -> None:
    found = _clock_of(db, event.payload["ticket_id"])
    if found is None:
        return
    ticket, row = found
    now = _now(db)
    clocks.restart_resolution(db, row, now, ticket)
    clocks.publish_promise(db, ticket, row)
    _reschedule(db, row, now)
    closing.forget(db, ticket.id)


def prefetch_clocks(db: Session, conversation_ids: list[str]) -> None:
    """The message pipeline's batch: the tickets (and their clocks) a customer's message
    in these conversations may move, read once for the whole batch. The lists keep the
    objects alive: the session's identity map holds unmodified objects only weakly."""
    rows = db.execute(
        select(Ticket, TicketSla)
        .outerjoin(TicketSla, TicketSla.ticket_id == Ticket.id)
        .where(_live(conversation_ids))
    ).all()
    by_conversation: dict[str, list[Ticket]] = {cid: [] for cid in conversation_ids}
    clocks_read: list[TicketSla] = []
    for ticket, row in rows:
        by_conversation[str(ticket.conversation_id)].append(ticket)
        if row is not None:
            clocks_read.append(row)
    db.info[_PREFETCHED_TICKETS] = (by_conversation, clocks_read)


def _tickets_of_message(db: Session, message: dict[str, object]) -> list[Ticket]:
    if message.get("ticket_id"):
        ticket = db.get(Ticket, str(message["ticket_id"]))
        return [ticket] if ticket is not None else []
    if not message.get("conversation_id"):
        return []
    prefetched = db.info.get(_PREFETCHED_TICKETS)
    if prefetched is not None and message.get("sender_type") == "customer":
        found = prefetched[0].get(str(message["conversation_id"]))
        if found is not None:
            # A customer's message creates no ticket in its own reactions, so the batch's
            # read still holds; the statuses are the live objects'.
            return [t for t in found if t.status in (*OPEN_STATUSES, "resolved")]
    return _live_tickets(db, [str(message["conversation_id"])])


def _live_tickets(db: Session, conversation_ids: list[str]) -> list[Ticket]:
    """The tickets of these conversations a customer's message can still move."""
    return list(db.scalars(select(Ticket).where(_live(conversation_ids))))


def _live(conversation_ids: list[str]) -> ColumnElement[bool]:
    return and_(
        Ticket.conversation_id.in_(conversation_ids),
        Ticket.status.in_((*OPEN_STATUSES, "resolved")),
    )


def on_message_created(db: Session, event: DomainEvent) -> None:
    """An agent's public reply meets the response targets; a customer's message starts one."""
    message = event.payload.get("message")
    if not isinstance(message, dict) or message.get("visibility") != "public":
        return
    sender = message.get("sender_type")
    if sender not in ("agent", "customer"):
        return
    now = _now(db)
    for ticket in _tickets_of_message(db, message):
        if sender == "customer" and ticket.status == "resolved":
            closing.customer_replied(db, now, ticket, _settings(db))
            continue
        row = db.get(TicketSla, ticket.id)
        if row is None or ticket.status not in OPEN_STATUSES:
            continue
        if sender == "agent":
            clocks.meet(row, ("first_response", "next_response"), now)
        else:
            clocks.start_next_response(db, row, now)
        _reschedule(db, row, now)


REACTIONS: dict[str, Reaction] = {
    "ticket.created": on_ticket_created,
    "ticket.status_changed": on_status_changed,
    "ticket.event": on_ticket_event,
    "ticket.resolved": on_ticket_resolved,
    "ticket.reopened": on_ticket_reopened,
    "message.created": on_message_created,
}


def install_reactions() -> None:
    for name, reaction in REACTIONS.items():
        bus.subscribe_in_transaction(name, reaction)
    add_prefetch(prefetch_clocks)
