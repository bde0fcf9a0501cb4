"""Ticket lifecycle: open, update, assign, reply bookkeeping, resolve, reopen, rate.

Every change writes a timeline event (public or internal) and, where it
touches tickets for the audit's purposes, an audit entry, inside the caller's
transaction. Events for listeners are released after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import yiwen.tickets.messages  # noqa: F401  (registers the texts)
from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.events import emit
from yiwen.tickets import taxonomy
from yiwen.tickets.listing import TicketFilter as TicketFilter
from yiwen.tickets.listing import list_tickets as list_tickets
from yiwen.tickets.listing import recent_tickets_of_customer as recent_tickets_of_customer
from yiwen.tickets.models import CsatRating, Ticket, TicketEvent, TicketOrder
from yiwen.tickets.numbering import next_ticket_number
from yiwen.tickets.status import check_transition


@dataclass
class NewTicket:
    customer_id: str
    channel: str
    category: str
    subject: str
    description: str = ""
    conversation_id: str | None = None
    urgent: bool = False
    priority: str | None = None
    demand: str | None = None
    contact: str | None = None
    key_info: dict[str, object] = field(default_factory=dict)
    order_nos: list[str] = field(default_factory=list)
    submission_key: str | None = None


def check_category(category: str) -> None:
    if category not in taxonomy.CATEGORIES:
        raise InvalidInput("unknown_category", category=category)


def check_priority(priority: str) -> None:
    if priority not in taxonomy.PRIORITIES:
        raise InvalidInput("unknown_priority", priority=priority)


def open_ticket(db: Session, clock: Clock, new: NewTicket, *, actor: Actor, prefix: str) -> Ticket:
    check_category(new.category)
    priority = new.priority or taxonomy.initial_priority(new.category, new.urgent)
    check_priority(priority)
    now = clock.now()
    ticket = Ticket(
        number=next_ticket_number(db, clock, prefix),
        customer_id=new.customer_id,
        conversation_id=new.conversation_id,
        channel=new.channel,
        category=new.category,
        priority=priority,
        urgent=new.urgent,
        status="new",
        subject=new.subject.strip()[:200],
        description=new.description,
        demand=new.demand,
        contact=new.contact,
        key_info=dict(new.key_info),
        submission_key=new.submission_key,
        first_response_due_at=now + taxonomy.first_response_target(priority, new.urgent),
        due_at=now + taxonomy.resolution_target(new.category),
        created_at=now,
        updated_at=now,
    )
    db.add(ticket)
    db.flush()
    for order_no in dict.fromkeys(new.order_nos):
        db.add(TicketOrder(ticket_id=ticket.id, order_no=order_no, added_at=now))
    add_event(
        db, clock, ticket, "created", actor, visibility="public", data={"number": ticket.number}
    )
    record_audit(
        db,
        clock,
        actor=actor,
        action="ticket.create",
        target_type="ticket",
        target_id=ticket.id,
        after={"number": ticket.number, "category": ticket.category, "priority": priority},
    )
    emit(db, "ticket.created", ticket_id=ticket.id, conversation_id=ticket.conversation_id)
    return ticket


def add_event(
    db: Session,
    clock: Clock,
    ticket: Ticket,
    kind: str,
    actor: Actor,
    *,
    visibility: str = "internal",
    body: str = "",
    data: dict[str, object] | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        visibility=visibility,
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        body=body,
        data=dict(data or {}),
        at=clock.now(),
    )
    db.add(event)
    db.flush()
    ticket.updated_at = event.at
    emit(
        db,
        "ticket.event",
        ticket_id=ticket.id,
        conversation_id=ticket.conversation_id,
        kind=kind,
        visibility=visibility,
    )
    return event


def get_ticket(db: Session, ticket_id: str) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket


def get_ticket_by_number(db: Session, number: str) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket


def order_nos_of(db: Session, ticket: Ticket) -> list[str]:
    return list(
        db.scalars(
            select(TicketOrder.order_no)
            .where(TicketOrder.ticket_id == ticket.id)
            .order_by(TicketOrder.added_at)
        )
    )


def link_order(db: Session, clock: Clock, ticket: Ticket, order_no: str, *, actor: Actor) -> None:
    if order_no in order_nos_of(db, ticket):
        return
    db.add(TicketOrder(ticket_id=ticket.id, order_no=order_no, added_at=clock.now()))
    add_event(db, clock, ticket, "order_linked", actor, data={"order_no": order_no})


def change_status(db: Session, clock: Clock, ticket: Ticket, target: str, *, actor: Actor) -> None:
    if target == ticket.status:
        return
    check_transition(ticket.status, target)
    before = ticket.status
    ticket.status = target
    if target == "closed":
        ticket.closed_at = clock.now()
    add_event(
        db,
        clock,
        ticket,
        "status_changed",
        actor,
        visibility="public",
        data={"from": before, "to": target},
    )
    record_audit(
        db,
        clock,
        actor=actor,
        action="ticket.status",
        target_type="ticket",
        target_id=ticket.id,
        before={"status": before},
        after={"status": target},
    )
    emit(db, "ticket.status_changed", ticket_id=ticket.id, before=before, after=target)


def update_fields(
    db: Session,
    clock: Clock,
    ticket: Ticket,
    *,
    actor: Actor,
    priority: str | None = None,
    category: str | None = None,
) -> None:
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    if priority is not None and priority != ticket.priority:
        check_priority(priority)
        before["priority"], after["priority"] = ticket.priority, priority
        ticket.priority = priority
    if category is not None and category != ticket.category:
        check_category(category)
        before["category"], after["category"] = ticket.category, category
        ticket.category = category
    if not after:
        return
    add_event(db, clock, ticket, "fields_changed", actor, data={"before": before, "after": after})
    record_audit(
        db,
        clock,
        actor=actor,
        action="ticket.update",
        target_type="ticket",
        target_id=ticket.id,
        before=before,
        after=after,
    )


def assign_ticket(
    db: Session,
    clock: Clock,
    ticket: Ticket,
    *,
    assignee_id: str | None,
    assignee_name: str | None,
    actor: Actor,
    note: str = "",
) -> None:
    """Give the ticket to an agent (or back to the pool); the customer sees who handles it."""
    if ticket.status == "closed":
        raise Conflict("ticket_closed")
    before = ticket.assignee_id
    if before == assignee_id:
        return
    ticket.assignee_id = assignee_id
    kind = "assigned" if before is None else "transferred"
    add_event(
        db,
        clock,
        ticket,
        kind,
        actor,
        visibility="public" if assignee_id else "internal",
        body=note,
        data={"from": before, "to": assignee_id, "name": assignee_name or ""},
    )
    record_audit(
        db,
        clock,
        actor=actor,
        action=f"ticket.{kind}",
        target_type="ticket",
        target_id=ticket.id,
        before={"assignee_id": before},
        after={"assignee_id": assignee_id},
    )
    if ticket.status == "new" and assignee_id is not None:
        change_status(db, clock, ticket, "open", actor=actor)
    emit(db, "ticket.assigned", ticket_id=ticket.id, assignee_id=assignee_id, previous=before)


def note_first_response(db: Session, clock: Clock, ticket: Ticket, *, actor: Actor) -> None:
    """A public reply from staff counts as the first response and starts the work."""
    if ticket.status == "closed":
        raise Conflict("ticket_closed")
    if ticket.first_response_at is None:
        ticket.first_response_at = clock.now()
    if ticket.status == "new":
        change_status(db, clock, ticket, "open", actor=actor)


def resolve_ticket(db: Session, clock: Clock, ticket: Ticket, *, actor: Actor, note: str) -> None:
    text = note.strip()
    if not text:
        raise InvalidInput("resolution_note_required")
    check_transition(ticket.status, "resolved")
    now = clock.now()
    before = ticket.status
    ticket.status = "resolved"
    ticket.resolved_at = now
    ticket.resolved_by_id = actor.id if actor.kind == "staff" else None
    ticket.resolution_note = text
    ticket.resolution_round += 1
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    add_event(
        db,
        clock,
        ticket,
        "resolved",
        actor,
        visibility="public",
        body=text,
        data={"from": before, "round": ticket.resolution_round},
    )
    record_audit(
        db,
        clock,
        actor=actor,
        action="ticket.resolve",
        target_type="ticket",
        target_id=ticket.id,
        before={"status": before},
        after={"status": "resolved", "note": text},
    )
    emit(
        db,
        "ticket.resolved",
        ticket_id=ticket.id,
        conversation_id=ticket.conversation_id,
        agent_id=ticket.resolved_by_id,
    )


def reopen_ticket(
    db: Session, clock: Clock, ticket: Ticket, *, actor: Actor, reason: str = ""
) -> None:
    if ticket.status not in ("resolved", "closed"):
        raise Conflict("reopen_not_allowed")
    before = ticket.status
    ticket.status = "open" if ticket.assignee_id else "new"
    ticket.resolved_at = None
    ticket.closed_at = None
    add_event(
        db,
        clock,
        ticket,
        "reopened",
        actor,
        visibility="public",
        body=reason,
        data={"from": before},
    )
    record_audit(
        db,
        clock,
        actor=actor,
        action="ticket.reopen",
        target_type="ticket",
        target_id=ticket.id,
        before={"status": before},
        after={"status": ticket.status},
    )
    emit(db, "ticket.reopened", ticket_id=ticket.id)


def rate_ticket(
    db: Session, clock: Clock, ticket: Ticket, *, score: int, comment: str, actor: Actor
) -> CsatRating:
    """One rating per resolution: rating again after a reopen and a new resolution is allowed."""
    if not 1 <= score <= 5:
        raise InvalidInput("invalid_score")
    if ticket.status not in ("resolved", "closed") or ticket.resolution_round == 0:
        raise Conflict("not_resolved_yet")
    existing = db.scalar(
        select(CsatRating).where(
            CsatRating.ticket_id == ticket.id,
            CsatRating.resolution_round == ticket.resolution_round,
        )
    )
    if existing is not None:
        raise Conflict("already_rated")
    rating = CsatRating(
        ticket_id=ticket.id,
        resolution_round=ticket.resolution_round,
        score=score,
        comment=comment.strip()[:1000],
        agent_id=ticket.resolved_by_id,
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(rating)
            db.flush()
    except IntegrityError:
        # A concurrent rating of the same resolution (a double tap) got there first.
        raise Conflict("already_rated") from None
    add_event(db, clock, ticket, "csat", actor, visibility="public", data={"score": score})
    emit(db, "ticket.rated", ticket_id=ticket.id, score=score, agent_id=ticket.resolved_by_id)
    return rating


def rating_for_current_round(db: Session, ticket: Ticket) -> CsatRating | None:
    return db.scalar(
        select(CsatRating).where(
            CsatRating.ticket_id == ticket.id,
            CsatRating.resolution_round == ticket.resolution_round,
        )
    )


def timeline(db: Session, ticket: Ticket, *, include_internal: bool) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if not include_internal:
        query = query.where(TicketEvent.visibility == "public")
    return list(db.scalars(query.order_by(TicketEvent.id)))
