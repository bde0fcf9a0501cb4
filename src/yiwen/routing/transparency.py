"""What waiting customers and supervisors see: positions, estimated waits, the queue board.

Positions count the work still waiting in the same queue ahead of it, in
serving order (yiwen.routing.waiting). A customer is told again only when
their position or their estimate (in whole minutes) changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation
from yiwen.core.events import emit
from yiwen.core.i18n import translate
from yiwen.routing.estimate import QueueStats, display_minutes, queue_stats
from yiwen.routing.pool import AgentPool
from yiwen.routing.queues import list_queues
from yiwen.routing.waiting import TicketFacts, WaitingItem, entry_rows, load_waiting


@dataclass(frozen=True)
class QueuePlace:
    queue: str
    position: int
    estimated_wait_minutes: int | None
    agents_online: int
    message: str


def places(
    now: datetime, stats: dict[str, QueueStats], waiting: list[WaitingItem]
) -> list[tuple[WaitingItem, QueuePlace]]:
    """Every waiting item's place in its queue, ``waiting`` being in serving order."""
    seen: dict[str, int] = {}
    found = []
    for item in waiting:
        position = seen[item.queue.key] = seen.get(item.queue.key, 0) + 1
        queue = stats[item.queue.key]
        wait = queue.wait_minutes_at(position)
        minutes = display_minutes(wait) if wait is not None else None
        found.append(
            (
                item,
                QueuePlace(
                    queue=item.queue.key,
                    position=position,
                    estimated_wait_minutes=minutes,
                    agents_online=queue.agents_online,
                    message=queue_message(position, minutes, item.ticket, now),
                ),
            )
        )
    return found


def queue_message(
    position: int, minutes: int | None, ticket: TicketFacts | None, now: datetime
) -> str:
    """ "当前排队第3位，预计等待约6分钟；工单将在30分钟内由专人处理" and its variants."""
    promise = _promise(ticket, now)
    if minutes is None:
        if promise is None or promise == "overdue":
            return translate("queue.nobody_online_no_ticket")
        return translate("queue.nobody_online", within=promise)
    text = translate("queue.position", position=position, minutes=minutes)
    if promise == "overdue":
        return text + translate("queue.promise_overdue")
    if promise is not None:
        return text + translate("queue.promise", within=promise)
    return text


def _promise(ticket: TicketFacts | None, now: datetime) -> str | None:
    """The SLA promise still ahead of the customer: first response until it is made, then
    resolution (the deadlines H4's SLA policies write on the ticket)."""
    if ticket is None:
        return None
    due = ticket.first_response_due_at if ticket.first_response_at is None else None
    due = due or ticket.due_at
    if due is None:
        return None
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return "overdue"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return translate("queue.minutes", n=minutes)
    return translate("queue.hours", n=math.ceil(minutes / 60))


def announce_positions(
    db: Session, now: datetime, pool: AgentPool, waiting: list[WaitingItem]
) -> None:
    """Tell each waiting customer whose place or estimate moved (event + realtime push)."""
    if not waiting:
        return
    queues = list({item.queue.key: item.queue for item in waiting}.values())
    stats = queue_stats(db, now, pool, queues)
    moved = [
        (item, place)
        for item, place in places(now, stats, waiting)
        if item.entry.notified_position != place.position
        or item.entry.notified_wait_minutes != place.estimated_wait_minutes
    ]
    rows = entry_rows(db, [item for item, _ in moved])
    for item, place in moved:
        entry = rows[item.entry.id]
        entry.notified_position = place.position
        entry.notified_wait_minutes = place.estimated_wait_minutes
        emit(
            db,
            "queue.position_changed",
            conversation_id=entry.conversation_id,
            ticket_id=entry.ticket_id,
            customer_id=entry.customer_id,
            queue=place.queue,
            position=place.position,
            estimated_wait_minutes=place.estimated_wait_minutes,
            agents_online=place.agents_online,
            message=place.message,
            channel=_channel(item),
            # Public: the realtime hub pushes it to the customer's conversation stream.
            visibility="public",
        )


def _channel(item: WaitingItem) -> str:
    """Where the customer waits, so notices need not look the conversation up again."""
    if item.conversation is not None and item.conversation.channel:
        return item.conversation.channel
    return item.ticket.channel if item.ticket is not None else ""


def place_of_conversation(
    db: Session, now: datetime, conversation: Conversation
) -> QueuePlace | None:
    """The conversation's place in its queue, or None when it is not waiting for anyone."""
    waiting, _ = load_waiting(db)
    if not any(item.entry.conversation_id == conversation.id for item in waiting):
        return None
    pool = AgentPool.load(db, now)
    queues = list({item.queue.key: item.queue for item in waiting}.values())
    stats = queue_stats(db, now, pool, queues)
    for item, place in places(now, stats, waiting):
        if item.entry.conversation_id == conversation.id:
            return place
    return None


@dataclass(frozen=True)
class AgentOnBoard:
    agent_id: str
    name: str
    load: int
    capacity: int
    assignments_last_hour: int


@dataclass(frozen=True)
class QueueOnBoard:
    stats: QueueStats
    waiting: int
    oldest_waiting_since: datetime | None
    agents: list[AgentOnBoard]


def queue_board(db: Session, now: datetime) -> list[QueueOnBoard]:
    """Per queue: who waits, who is online to serve it, and the Erlang C figures."""
    waiting, _ = load_waiting(db)
    pool = AgentPool.load(db, now)
    queues = list_queues(db)
    stats = queue_stats(db, now, pool, queues)
    board = []
    for queue in queues:
        mine = [item for item in waiting if item.queue.key == queue.key]
        board.append(
            QueueOnBoard(
                stats=stats[queue.key],
                waiting=len(mine),
                oldest_waiting_since=min((i.entry.enqueued_at for i in mine), default=None),
                agents=[
                    AgentOnBoard(
                        agent_id=seat.agent_id,
                        name=seat.name,
                        load=seat.load,
                        capacity=seat.capacity,
                        assignments_last_hour=seat.last_hour,
                    )
                    for seat in pool.serving(queue)
                ],
            )
        )
    return board
