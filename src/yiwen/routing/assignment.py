"""Assignment: give waiting work to the right agent, or leave it waiting in its queue.

A pass runs when work starts waiting, an agent comes online, or capacity frees
up (see yiwen.routing.reactions); it serves the waiting work in order and
assigns the conversation and its open ticket together, in the transaction of
the change that caused it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.events import emit
from yiwen.routing.models import AssignmentRecord
from yiwen.routing.pool import AgentPool, AgentSeat, previous_agents
from yiwen.routing.transparency import announce_positions
from yiwen.routing.waiting import WaitingItem, entry_rows, load_waiting
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

# Set while routing assigns a ticket, so its own ticket.assigned is not taken for a manual one.
ROUTING_ASSIGNING = "yiwen_routing_assigning"


# Every assignment pass on PostgreSQL holds this transaction-level advisory lock.
ASSIGNMENT_LOCK_KEY = 0x79697765_6E726F75  # "yiwenrou"


def assign_waiting_work(db: Session, clock: Clock, *, wait_for_lock: bool = True) -> int:
    """One pass over the waiting work; returns how many items were assigned.

    Passes run one at a time: two concurrent passes on PostgreSQL would read the
    same waiting list, could give one customer to two agents, and update the
    queue's positions in different orders (a deadlock). SQLite already runs one
    writing transaction at a time; PostgreSQL takes an advisory lock held to the
    end of the transaction. A pass at the end of a request's transaction does not
    wait for it (``wait_for_lock=False``): that transaction already holds row
    locks another pass may need, so waiting could deadlock. It skips instead, and
    the periodic pass (:func:`yiwen.routing.jobs.drain_waiting_work`) or the next
    change picks its work up.
    """
    if db.get_bind().dialect.name == "postgresql":
        if wait_for_lock:
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK_KEY})
        elif not db.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK_KEY}
        ):
            return 0
    now = clock.now()
    waiting, stale = load_waiting(db)
    for row in entry_rows(db, stale).values():
        row.state = "withdrawn"
    if not waiting:
        return 0
    pool = AgentPool.load(db, now)
    previous = previous_agents(db, list({i.customer_id for i in waiting}), now)
    assigned = 0
    still_waiting: list[WaitingItem] = []
    for item in waiting:
        choice = pool.pick(item, previous.get(item.customer_id)) if pool.any_room else None
        if choice is None:
            still_waiting.append(item)
            continue
        seat, rule = choice
        _assign(db, clock, item, seat, rule)
        assigned += 1
        pool.note_assigned(seat, now)
        previous[item.customer_id] = seat.agent_id
    announce_positions(db, now, pool, still_waiting)
    return assigned


def _assign(db: Session, clock: Clock, item: WaitingItem, seat: AgentSeat, rule: str) -> None:
    now = clock.now()
    entry = entry_rows(db, [item])[item.entry.id]
    entry.state = "assigned"
    entry.agent_id = seat.agent_id
    entry.assigned_at = now
    if item.conversation is not None:
        conversation = db.get_one(Conversation, item.conversation.id)
        conversation.assignee_id = seat.agent_id
        if conversation.status == "waiting":
            conversation.status = "open"
        conversation.updated_at = now
    db.add(
        AssignmentRecord(
            agent_id=seat.agent_id,
            customer_id=entry.customer_id,
            conversation_id=entry.conversation_id,
            ticket_id=entry.ticket_id,
            queue_key=entry.queue_key,
            rule=rule,
            at=now,
        )
    )
    if item.ticket is not None:
        db.info[ROUTING_ASSIGNING] = True
        try:
            tickets.assign_ticket(
                db,
                clock,
                db.get_one(Ticket, item.ticket.id),
                assignee_id=seat.agent_id,
                assignee_name=seat.name,
                actor=Actor.system(),
            )
        finally:
            db.info.pop(ROUTING_ASSIGNING, None)
    emit(
        db,
        "routing.assigned",
        conversation_id=entry.conversation_id,
        ticket_id=entry.ticket_id,
        customer_id=entry.customer_id,
        agent_id=seat.agent_id,
        queue=entry.queue_key,
        rule=rule,
    )


def record_manual_assignment(
    db: Session,
    clock: Clock,
    *,
    agent_id: str,
    customer_id: str,
    ticket_id: str,
    conversation_id: str | None,
) -> None:
    """A take or transfer by hand counts for the hourly cap and the returning-customer rule."""
    db.add(
        AssignmentRecord(
            agent_id=agent_id,
            customer_id=customer_id,
            conversation_id=conversation_id,
            ticket_id=ticket_id,
            queue_key=None,
            rule="manual",
            at=clock.now(),
        )
    )
