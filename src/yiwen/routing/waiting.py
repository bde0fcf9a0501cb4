"""Waiting work: putting it in its queue, and reading it back in the order it will be served.

Work waits in the order of urgency (urgent flag or urgent priority), external
complaint (12315 / 黑猫投诉), SLA risk (the earliest deadline not yet met), VIP,
then age. An entry whose work was meanwhile taken by hand or closed is not
waiting any more, whatever its row says: readers skip it and the next
assignment pass withdraws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.customers.models import Customer
from yiwen.routing.models import QueueEntry, RoutingQueue
from yiwen.routing.queues import queue_for
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import OPEN_STATUSES

DRAIN_REQUESTED = "yiwen_routing_drain"
VIP_TIER = "vip"
_NEVER = datetime.max.replace(tzinfo=UTC)


def request_drain(db: Session) -> None:
    """Ask for an assignment pass when this unit of work commits (see routing.reactions)."""
    db.info[DRAIN_REQUESTED] = True


@dataclass(frozen=True)
class TicketFacts:
    """What ordering and promises need of a waiting ticket (read as columns: queues get long)."""

    id: str
    status: str
    assignee_id: str | None
    category: str
    priority: str
    urgent: bool
    external_complaint: bool
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None
    channel: str = ""


@dataclass(frozen=True)
class ConversationFacts:
    id: str
    status: str
    assignee_id: str | None
    channel: str = ""


@dataclass(frozen=True)
class EntryFacts:
    """A queue entry as read for a pass: columns, not the ORM object. A pass reads every
    waiting entry and changes a few (assigned, withdrawn, told a new place); building an
    ORM object for each was most of an agent's reply with 300 customers waiting. Change
    an entry through :func:`entry_rows`."""

    id: str
    queue_key: str
    conversation_id: str | None
    ticket_id: str | None
    customer_id: str
    enqueued_at: datetime
    notified_position: int | None
    notified_wait_minutes: int | None


def entry_rows(db: Session, items: Sequence[WaitingItem]) -> dict[str, QueueEntry]:
    """The ORM rows of these items' entries, by id, in one read (the session's own objects
    where it has them)."""
    ids = [item.entry.id for item in items]
    if not ids:
        return {}
    return {row.id: row for row in db.scalars(select(QueueEntry).where(QueueEntry.id.in_(ids)))}


@dataclass
class WaitingItem:
    entry: EntryFacts
    queue: RoutingQueue
    customer_id: str
    customer_tier: str
    dedicated_agent_id: str | None
    ticket: TicketFacts | None
    conversation: ConversationFacts | None

    @property
    def vip(self) -> bool:
        return self.customer_tier == VIP_TIER

    @property
    def urgent(self) -> bool:
        return self.ticket is not None and (self.ticket.urgent or self.ticket.priority == "urgent")

    @property
    def external_complaint(self) -> bool:
        return self.ticket is not None and (
            self.ticket.external_complaint or self.ticket.category == "complaint"
        )

    @property
    def sla_due(self) -> datetime | None:
        """The earliest promise still open on the ticket (H4's SLA engine fills the columns)."""
        if self.ticket is None:
            return None
        dues = [self.ticket.due_at]
        if self.ticket.first_response_at is None:
            dues.append(self.ticket.first_response_due_at)
        present = [due for due in dues if due is not None]
        return min(present) if present else None

    def order_key(self) -> tuple[int, int, datetime, int, datetime, str]:
        return (
            0 if self.urgent else 1,
            0 if self.external_complaint else 1,
            self.sla_due or _NEVER,
            0 if self.vip else 1,
            self.entry.enqueued_at,
            self.entry.id,
        )

    def still_waiting(self) -> bool:
        if self.ticket is not None and (
            self.ticket.assignee_id is not None or self.ticket.status not in OPEN_STATUSES
        ):
            return False
        if self.conversation is not None:
            if self.conversation.assignee_id is not None:
                return False
            if self.ticket is None and self.conversation.status != "waiting":
                return False
        return True


def load_waiting(db: Session) -> tuple[list[WaitingItem], list[WaitingItem]]:
    """(still waiting, in serving order; stale entries to withdraw)."""
    queues = {queue.key: queue for queue in db.scalars(select(RoutingQueue))}
    rows = db.execute(
        select(
            QueueEntry.id,
            QueueEntry.queue_key,
            QueueEntry.conversation_id,
            QueueEntry.ticket_id,
            QueueEntry.customer_id,
            QueueEntry.enqueued_at,
            QueueEntry.notified_position,
            QueueEntry.notified_wait_minutes,
            Customer.tier,
            Customer.dedicated_agent_id,
            Ticket.id,
            Ticket.status,
            Ticket.assignee_id,
            Ticket.category,
            Ticket.priority,
            Ticket.urgent,
            Ticket.key_info,
            Ticket.first_response_due_at,
            Ticket.first_response_at,
            Ticket.due_at,
            Conversation.id,
            Conversation.status,
            Conversation.assignee_id,
            Conversation.channel,
            Ticket.channel,
        )
        .join(Customer, Customer.id == QueueEntry.customer_id)
        .outerjoin(Ticket, Ticket.id == QueueEntry.ticket_id)
        .outerjoin(Conversation, Conversation.id == QueueEntry.conversation_id)
        .where(QueueEntry.state == "waiting")
    ).all()
    items = [_item(row, queues) for row in rows]
    waiting = sorted((i for i in items if i.still_waiting()), key=WaitingItem.order_key)
    return waiting, [i for i in items if not i.still_waiting()]


def _item(row: Sequence[Any], queues: dict[str, RoutingQueue]) -> WaitingItem:
    entry = EntryFacts(*row[:8])
    tier, dedicated, ticket_id = row[8:11]
    status, assignee, category, priority, urgent, key_info, fr_due, fr_at, due = row[11:20]
    conversation_id, c_status, c_assignee, c_channel, t_channel = row[20:]
    return WaitingItem(
        entry=entry,
        queue=queues[entry.queue_key],
        customer_id=entry.customer_id,
        customer_tier=tier,
        dedicated_agent_id=dedicated,
        ticket=None
        if ticket_id is None
        else TicketFacts(
            id=ticket_id,
            status=status,
            assignee_id=assignee,
            category=category,
            priority=priority,
            urgent=bool(urgent),
            external_complaint=bool((key_info or {}).get("external_complaint")),
            first_response_due_at=fr_due,
            first_response_at=fr_at,
            due_at=due,
            channel=t_channel or "",
        ),
        conversation=None
        if conversation_id is None
        else ConversationFacts(
            id=conversation_id, status=c_status, assignee_id=c_assignee, channel=c_channel
        ),
    )


def open_unassigned_ticket(db: Session, conversation_id: str) -> Ticket | None:
    return db.scalar(
        select(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(OPEN_STATUSES),
        )
        .order_by(Ticket.created_at.desc())
        .limit(1)
    )


def waiting_entry_for(
    db: Session, *, conversation_id: str | None, ticket_id: str | None
) -> QueueEntry | None:
    keys = []
    if conversation_id is not None:
        keys.append(QueueEntry.conversation_id == conversation_id)
    if ticket_id is not None:
        keys.append(QueueEntry.ticket_id == ticket_id)
    if not keys:
        return None
    return db.scalar(select(QueueEntry).where(QueueEntry.state == "waiting", or_(*keys)).limit(1))


def enqueue_work(
    db: Session,
    clock: Clock,
    *,
    customer_id: str,
    conversation: Conversation | None,
    ticket: Ticket | None,
    reason: str,
) -> QueueEntry:
    """Put work in its queue once: a conversation and its ticket share one entry."""
    if ticket is None and conversation is not None:
        ticket = open_unassigned_ticket(db, conversation.id)
    if conversation is None and ticket is not None and ticket.conversation_id is not None:
        conversation = db.get(Conversation, ticket.conversation_id)
    queue = queue_for(db, ticket.category if ticket else None, ticket.tier if ticket else None)
    if ticket is not None:
        ticket.queue = queue.key
        ticket.tier = ticket.tier or queue.tier
    entry = waiting_entry_for(
        db,
        conversation_id=conversation.id if conversation else None,
        ticket_id=ticket.id if ticket else None,
    )
    if entry is None:
        entry = QueueEntry(
            queue_key=queue.key,
            conversation_id=conversation.id if conversation else None,
            ticket_id=ticket.id if ticket else None,
            customer_id=customer_id,
            reason=reason,
            state="waiting",
            enqueued_at=clock.now(),
        )
        db.add(entry)
    else:
        entry.queue_key = queue.key
        if ticket is not None:
            entry.ticket_id = ticket.id
        if conversation is not None:
            entry.conversation_id = conversation.id
    db.flush()
    request_drain(db)
    return entry


def withdraw(db: Session, *, conversation_id: str | None, ticket_id: str | None) -> None:
    """The work was taken by hand: it leaves the queue, and the customers behind move up."""
    entry = waiting_entry_for(db, conversation_id=conversation_id, ticket_id=ticket_id)
    if entry is not None:
        entry.state = "withdrawn"
        request_drain(db)
