"""Routing's reactions to domain events, inside the emitter's transaction.

Events only put work in its queue or note that capacity may have changed;
the assignment pass itself runs once, just before the unit of work commits,
when the work is fully described (a ticket form starts a conversation and
then opens its ticket in the same transaction, and the ticket's category
decides the queue). It still runs inside the transaction: the assignment
commits or rolls back with the change that caused it.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation
from yiwen.conversations.pipeline import add_prefetch
from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.routing.assignment import (
    ROUTING_ASSIGNING,
    assign_waiting_work,
    record_manual_assignment,
)
from yiwen.routing.models import QueueEntry
from yiwen.routing.waiting import (
    DRAIN_REQUESTED,
    enqueue_work,
    request_drain,
    waiting_entry_for,
    withdraw,
)
from yiwen.tickets.models import Ticket

_DRAINING = "yiwen_routing_draining"
_PREFETCHED_ENTRIES = "yiwen_routing_prefetched_entries"


def _clock(db: Session) -> Clock:
    return cast(Clock, session_context(db, "clock"))


def on_conversation_waiting(db: Session, event: DomainEvent) -> None:
    """A conversation handed off by the bot, or started while the bot is off."""
    conversation = db.get(Conversation, str(event.payload["conversation_id"]))
    if conversation is None or conversation.status != "waiting" or conversation.assignee_id:
        return
    ticket_id = event.payload.get("ticket_id")
    ticket = db.get(Ticket, str(ticket_id)) if ticket_id else None
    if ticket is not None and ticket.assignee_id is not None:
        return
    reason = "handoff" if event.name == "conversation.handed_off" else "started"
    enqueue_work(
        db,
        _clock(db),
        customer_id=conversation.customer_id,
        conversation=conversation,
        ticket=ticket,
        reason=reason,
    )


def on_customer_wrote_again(db: Session, event: DomainEvent) -> None:
    """A customer writing in a conversation nobody holds (after a resolution, the bot off)
    puts it back in the queue."""
    message = event.payload.get("message")
    if not isinstance(message, dict) or message.get("sender_type") != "customer":
        return
    conversation = db.get(Conversation, str(message.get("conversation_id")))
    if conversation is None or conversation.status != "waiting" or conversation.assignee_id:
        return
    if _batch_found_waiting(db, conversation.id):
        return
    if waiting_entry_for(db, conversation_id=conversation.id, ticket_id=None) is not None:
        return
    enqueue_work(
        db,
        _clock(db),
        customer_id=conversation.customer_id,
        conversation=conversation,
        ticket=None,
        reason="returned",
    )


def prefetch_waiting_entries(db: Session, conversation_ids: list[str]) -> None:
    """The message pipeline's batch: the waiting entry of each of these conversations,
    read once for ``on_customer_wrote_again`` instead of once per message."""
    found: dict[str, QueueEntry] = {}
    for entry in db.scalars(
        select(QueueEntry).where(
            QueueEntry.state == "waiting", QueueEntry.conversation_id.in_(conversation_ids)
        )
    ):
        found.setdefault(str(entry.conversation_id), entry)
    db.info[_PREFETCHED_ENTRIES] = found


def _batch_found_waiting(db: Session, conversation_id: str) -> bool:
    """Whether the batch's read found a waiting entry for the conversation that is still
    waiting (the live object: a change made since in this session shows). Anything else
    is left to ``waiting_entry_for``: an entry added since is not in the read."""
    entry = db.info.get(_PREFETCHED_ENTRIES, {}).get(conversation_id)
    return (
        entry is not None and entry.state == "waiting" and entry.conversation_id == conversation_id
    )


def on_ticket_needs_agent(db: Session, event: DomainEvent) -> None:
    """A ticket created (or reopened) without an assignee waits, unless the bot still holds
    its conversation or an agent already does."""
    ticket = db.get(Ticket, str(event.payload["ticket_id"]))
    if ticket is None or ticket.assignee_id is not None:
        return
    conversation = db.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if conversation is not None and (
        conversation.assignee_id is not None or conversation.status == "bot"
    ):
        return
    enqueue_work(
        db,
        _clock(db),
        customer_id=ticket.customer_id,
        conversation=conversation,
        ticket=ticket,
        reason=event.name.removeprefix("ticket."),
    )


def on_ticket_assigned(db: Session, event: DomainEvent) -> None:
    """A manual take or transfer: it counts for the agent, leaves the queue, and may free
    the previous agent's seat."""
    request_drain(db)
    if db.info.get(ROUTING_ASSIGNING):
        return
    ticket = db.get(Ticket, str(event.payload["ticket_id"]))
    if ticket is None:
        return
    assignee = event.payload.get("assignee_id")
    if not assignee:
        # Given back to the pool (or an escalation that cleared the assignee): it waits again.
        on_ticket_needs_agent(db, event)
        return
    withdraw(db, conversation_id=ticket.conversation_id, ticket_id=ticket.id)
    record_manual_assignment(
        db,
        _clock(db),
        agent_id=str(assignee),
        customer_id=ticket.customer_id,
        ticket_id=ticket.id,
        conversation_id=ticket.conversation_id,
    )


def on_ticket_fields_changed(db: Session, event: DomainEvent) -> None:
    """A waiting ticket whose category or priority changed may move queue or place."""
    if event.payload.get("kind") != "fields_changed":
        return
    ticket = db.get(Ticket, str(event.payload["ticket_id"]))
    if ticket is None or ticket.assignee_id is not None:
        return
    conversation = db.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if waiting_entry_for(db, conversation_id=None, ticket_id=ticket.id) is not None:
        enqueue_work(
            db,
            _clock(db),
            customer_id=ticket.customer_id,
            conversation=conversation,
            ticket=ticket,
            reason="requeue",
        )


def on_capacity_may_change(db: Session, event: DomainEvent) -> None:
    request_drain(db)


def _assign_before_commit(session: Session) -> None:
    if session.in_nested_transaction() or session.info.get(_DRAINING):
        return
    if not session.info.pop(DRAIN_REQUESTED, False):
        return
    session.info[_DRAINING] = True
    try:
        assign_waiting_work(session, _clock(session), wait_for_lock=False)
    finally:
        session.info.pop(_DRAINING, None)
        session.info.pop(DRAIN_REQUESTED, None)


def install_reactions() -> None:
    bus.subscribe_in_transaction("conversation.started", on_conversation_waiting)
    bus.subscribe_in_transaction("conversation.handed_off", on_conversation_waiting)
    bus.subscribe_in_transaction("message.created", on_customer_wrote_again)
    add_prefetch(prefetch_waiting_entries)
    bus.subscribe_in_transaction("ticket.created", on_ticket_needs_agent)
    bus.subscribe_in_transaction("ticket.reopened", on_ticket_needs_agent)
    bus.subscribe_in_transaction("ticket.assigned", on_ticket_assigned)
    bus.subscribe_in_transaction("ticket.event", on_ticket_fields_changed)
    bus.subscribe_in_transaction("ticket.status_changed", on_capacity_may_change)
    bus.subscribe_in_transaction("ticket.resolved", on_capacity_may_change)
    if not sa_event.contains(Session, "before_commit", _assign_before_commit):
        sa_event.listen(Session, "before_commit", _assign_before_commit)
