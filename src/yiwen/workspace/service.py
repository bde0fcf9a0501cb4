"""Replies, internal notes, macros and card-key reveals from the agent's seat."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

import yiwen.workspace.messages  # noqa: F401  (registers the texts)
from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import check_permission
from yiwen.conversations import service as conversations
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import Clock, to_local
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.i18n import translate
from yiwen.customers.models import Customer
from yiwen.store.protocol import StoreConnector
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import STATUSES
from yiwen.tickets.taxonomy import CATEGORIES
from yiwen.workspace.models import Macro

_VARIABLE = re.compile(r"\{(\w+)\}")


def reply_to_ticket(
    db: Session, clock: Clock, ticket: Ticket, agent: StaffUser, body: str, *, max_chars: int
) -> Message:
    """A public reply: into the customer's conversation and onto the ticket's timeline."""
    if ticket.conversation_id is None:
        raise Conflict("ticket_closed")
    actor = Actor.staff(agent)
    tickets.note_first_response(db, clock, ticket, actor=actor)
    conversation = conversations.get_conversation(db, ticket.conversation_id)
    message = conversations.post_staff_message(
        db,
        clock,
        conversation,
        sender_type="agent",
        sender_id=agent.id,
        sender_name=agent.display_name,
        body=body,
        max_chars=max_chars,
        ticket_id=ticket.id,
    )
    _take_conversation(conversation, agent)
    if ticket.assignee_id is None:
        # Whoever answers an unassigned ticket owns it (the customer sees their name).
        tickets.assign_ticket(
            db, clock, ticket, assignee_id=agent.id, assignee_name=agent.display_name, actor=actor
        )
    tickets.add_event(
        db, clock, ticket, "reply", actor, visibility="public", data={"message_id": message.id}
    )
    _audit_message(db, clock, actor, ticket, "ticket.reply", message.id, len(message.body))
    return message


def _audit_message(
    db: Session,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    action: str,
    message_id: int | None,
    length: int,
) -> None:
    """Who wrote what to a ticket, and when; the text itself stays in the thread."""
    record_audit(
        db,
        clock,
        actor=actor,
        action=action,
        target_type="ticket",
        target_id=ticket.id,
        after={"message_id": message_id, "chars": length},
    )


def add_internal_note(
    db: Session, clock: Clock, ticket: Ticket, agent: StaffUser, body: str, *, max_chars: int
) -> Message | None:
    """A note only staff see, on the timeline and (if any) in the conversation thread."""
    text = conversations.check_message_body(body, False, max_chars)
    actor = Actor.staff(agent)
    tickets.add_event(db, clock, ticket, "note", actor, visibility="internal", body=text)
    if ticket.conversation_id is None:
        _audit_message(db, clock, actor, ticket, "ticket.note", None, len(text))
        return None
    conversation = conversations.get_conversation(db, ticket.conversation_id)
    message = conversations.post_staff_message(
        db,
        clock,
        conversation,
        sender_type="agent",
        sender_id=agent.id,
        sender_name=agent.display_name,
        body=text,
        max_chars=max_chars,
        visibility="internal",
        ticket_id=ticket.id,
    )
    _audit_message(db, clock, actor, ticket, "ticket.note", message.id, len(text))
    return message


def reply_in_conversation(
    db: Session,
    clock: Clock,
    conversation: Conversation,
    agent: StaffUser,
    body: str,
    *,
    visibility: str,
    max_chars: int,
) -> Message:
    message = conversations.post_staff_message(
        db,
        clock,
        conversation,
        sender_type="agent",
        sender_id=agent.id,
        sender_name=agent.display_name,
        body=body,
        max_chars=max_chars,
        visibility=visibility,
    )
    if visibility == "public":
        _take_conversation(conversation, agent)
    return message


def change_ticket_status(
    db: Session, clock: Clock, ticket: Ticket, target: str, *, actor: Actor
) -> None:
    """A status set by hand. Resolving needs a note (its own route); leaving a resolution
    is a reopen, so the timeline says so and the resolution and closing times are cleared."""
    if target == "resolved":
        raise InvalidInput("resolution_note_required")
    if target not in STATUSES:
        raise InvalidInput("invalid_request", detail="status")
    if ticket.status in ("resolved", "closed") and target == "open":
        tickets.reopen_ticket(db, clock, ticket, actor=actor)
    tickets.change_status(db, clock, ticket, target, actor=actor)


def resolve_with_invitation(
    db: Session, clock: Clock, ticket: Ticket, agent: StaffUser, note: str, *, max_chars: int
) -> None:
    """Resolve, then ask the customer in their conversation to rate the resolution (CSAT)."""
    tickets.resolve_ticket(db, clock, ticket, actor=Actor.staff(agent), note=note)
    if ticket.conversation_id is None:
        return
    conversation = conversations.get_conversation(db, ticket.conversation_id)
    conversations.post_staff_message(
        db,
        clock,
        conversation,
        sender_type="system",
        sender_id=None,
        sender_name=None,
        body=translate("csat.invite", number=ticket.number, note=ticket.resolution_note or ""),
        max_chars=max_chars + 500,
        ticket_id=ticket.id,
    )
    # A new message from the customer brings the conversation back (conversations.service).
    conversation.status = "resolved"


def reveal_card_key(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    agent: StaffUser,
    *,
    order_no: str,
    key_id: str,
    ticket: Ticket | None,
    reason: str,
) -> str:
    """The clear card key, for roles allowed to see it; every reveal is audited."""
    check_permission(agent.role, "card_key.reveal")
    order = store.get_order(order_no)
    masked = next((k.masked for k in order.delivery.card_keys if k.key_id == key_id), None)
    if masked is None:
        raise NotFound("card_key_not_found")
    clear = store.reveal_card_key(order_no, key_id)
    actor = Actor.staff(agent)
    record_audit(
        db,
        clock,
        actor=actor,
        action="card_key.reveal",
        target_type="card_key",
        target_id=key_id,
        after={"order_no": order_no, "masked": masked, "reason": reason},
    )
    if ticket is not None:
        tickets.add_event(
            db,
            clock,
            ticket,
            "card_key_revealed",
            actor,
            visibility="internal",
            body=reason,
            data={
                "text_code": "action.card_key_revealed",
                "text_params": {"order_no": order_no, "masked": masked},
            },
        )
    return clear


def render_macro(db: Session, macro: Macro, ticket: Ticket | None, agent: StaffUser) -> str:
    """Fill ``{variable}`` placeholders; unknown names stay as written (never evaluated).

    A deactivated macro is deleted as far as agents are concerned: it is not rendered.
    """
    if not macro.is_active:
        raise NotFound("macro_not_found")
    values: dict[str, str] = {"agent_name": agent.display_name}
    if ticket is not None:
        customer = db.get(Customer, ticket.customer_id)
        order_nos = tickets.order_nos_of(db, ticket)
        values.update(
            ticket_no=ticket.number,
            order_no=order_nos[0] if order_nos else "",
            category=CATEGORIES[ticket.category][0],
            customer_name=(customer.display_name if customer and customer.display_name else "您"),
            due_at=to_local(ticket.due_at).strftime("%m-%d %H:%M") if ticket.due_at else "",
        )
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), macro.body)


def get_macro(db: Session, macro_id: str) -> Macro:
    macro = db.get(Macro, macro_id)
    if macro is None:
        raise NotFound("macro_not_found")
    return macro


def list_macros(
    db: Session, category: str | None = None, *, include_inactive: bool = False
) -> list[Macro]:
    query = select(Macro)
    if not include_inactive:
        query = query.where(Macro.is_active.is_(True))
    if category:
        query = query.where((Macro.category == category) | Macro.category.is_(None))
    return list(db.scalars(query.order_by(Macro.title)))


def _take_conversation(conversation: Conversation, agent: StaffUser) -> None:
    if conversation.assignee_id is None:
        conversation.assignee_id = agent.id
    if conversation.status in ("waiting", "bot", "resolved"):
        conversation.status = "open"
    conversation.unread_for_staff = 0
