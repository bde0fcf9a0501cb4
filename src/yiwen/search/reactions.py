"""Index each message and ticket inside the transaction that writes it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwen.core.events import DomainEvent, bus
from yiwen.search import index
from yiwen.tickets.models import Ticket


def index_message(db: Session, event: DomainEvent) -> None:
    message = event.payload.get("message")
    if not isinstance(message, dict):
        return
    body = str(message.get("body") or "")
    if body:
        index.add(
            db,
            kind="message",
            ref=str(message["id"]),
            conversation_id=str(message["conversation_id"]),
            body=body,
        )


def index_ticket(db: Session, event: DomainEvent) -> None:
    ticket = db.get(Ticket, event.payload.get("ticket_id"))
    if ticket is None:
        return
    index.add(
        db,
        kind="ticket",
        ref=ticket.id,
        conversation_id=ticket.conversation_id,
        body=f"{ticket.number} {ticket.subject} {ticket.description or ''}",
    )


def install_reactions() -> None:
    bus.subscribe_in_transaction("message.created", index_message)
    bus.subscribe_in_transaction("ticket.created", index_ticket)
