"""What the staffing plan measures from the desk's own history.

- Contacts per hour: conversations opened, plus tickets opened without one (the
  portal form, imported complaints), so a chat that became a ticket counts once.
- Bot containment: the share of the bot's conversations it finished alone
  (``bot_outcomes``, the same definition as the KPI report) over the last 30 days.
- Handle time: from routing's assignment to the ticket's resolution, the measure
  the queue's wait estimate uses, averaged over the last 30 days. Stretches
  longer than ``MAX_HANDLE`` are left out: a ticket parked for days waiting on
  the customer or a supplier was not being handled all that time.
- Concurrency: how many conversations an agent takes at once, the mean capacity
  of the agents' routing profiles, since that handle time runs in parallel.
- Active users: customers who wrote or opened a ticket in the last 30 days
  (the seeds' rule of thumb counts one agent per 200 of them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, func, select, union
from sqlalchemy.orm import Session

from yiwen.analytics.sql import seconds_between
from yiwen.bot.models import BotOutcome
from yiwen.conversations.models import Conversation
from yiwen.routing.models import AgentProfile, QueueEntry, RoutingQueue
from yiwen.sla.policies import FALLBACK_FIRST_RESPONSE, matching_policies
from yiwen.tickets.models import Ticket

MEASURE_WINDOW = timedelta(days=30)
MAX_HANDLE = timedelta(hours=4)
HOUR = timedelta(hours=1)


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hour_of(column: SQLColumnExpression[Any], dialect: str) -> ColumnElement[Any]:
    """The UTC hour an instant falls in (Asia/Shanghai hours are the same hours, UTC+8)."""
    if dialect == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def hourly_contacts(db: Session, start: datetime, end: datetime) -> list[float]:
    """Contacts in each hour from ``start`` (an hour boundary) up to ``end``, zeros included."""
    dialect = db.get_bind().dialect.name
    counts: dict[datetime, int] = {}
    sources: list[tuple[SQLColumnExpression[Any], list[ColumnElement[bool]]]] = [
        (Conversation.created_at, []),
        (Ticket.created_at, [Ticket.conversation_id.is_(None)]),
    ]
    for column, extra in sources:
        hour = _hour_of(column, dialect)
        rows = db.execute(
            select(hour, func.count()).where(column >= start, column < end, *extra).group_by(hour)
        )
        for bucket, n in rows:
            counts[_as_hour(bucket)] = counts.get(_as_hour(bucket), 0) + int(n)
    hours = int((end - start) / HOUR)
    return [float(counts.get(start + i * HOUR, 0)) for i in range(hours)]


def _as_hour(bucket: object) -> datetime:
    if isinstance(bucket, datetime):
        return bucket.astimezone(UTC) if bucket.tzinfo else bucket.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(bucket)).replace(tzinfo=UTC)


def bot_containment(db: Session, now: datetime) -> float:
    total, contained = db.execute(
        select(func.count(), func.count().filter(BotOutcome.outcome == "resolved")).where(
            BotOutcome.created_at >= now - MEASURE_WINDOW, BotOutcome.created_at < now
        )
    ).one()
    return contained / total if total else 0.0


def handle_seconds(db: Session, now: datetime) -> float:
    """Mean assignment-to-resolution time; the queues' default handle time without history."""
    dialect = db.get_bind().dialect.name
    elapsed = seconds_between(Ticket.resolved_at, QueueEntry.assigned_at, dialect)
    mean = db.scalar(
        select(func.avg(elapsed))
        .select_from(QueueEntry)
        .join(Ticket, Ticket.id == QueueEntry.ticket_id)
        .where(
            QueueEntry.assigned_at >= now - MEASURE_WINDOW,
            QueueEntry.assigned_at < now,
            Ticket.resolved_at.is_not(None),
            Ticket.resolved_at > QueueEntry.assigned_at,
            elapsed <= MAX_HANDLE.total_seconds(),
        )
    )
    if mean:
        return float(mean)
    default = db.scalar(select(func.avg(RoutingQueue.default_handle_minutes)))
    return float(default or 6) * 60


def concurrency(db: Session) -> float:
    mean = db.scalar(select(func.avg(AgentProfile.capacity)))
    return max(float(mean or 1), 1.0)


def active_users(db: Session, now: datetime) -> int:
    since = now - MEASURE_WINDOW
    customers = union(
        select(Conversation.customer_id).where(Conversation.created_at >= since),
        select(Ticket.customer_id).where(Ticket.created_at >= since),
    ).subquery()
    return int(db.scalar(select(func.count()).select_from(customers)) or 0)


def first_response_target_seconds(db: Session) -> float:
    """The promise a plain ticket gets: the catch-all SLA policies' first response."""
    for policy in matching_policies(db, "other", "normal", "standard"):
        if policy.first_response_minutes is not None:
            return float(policy.first_response_minutes) * 60
    return FALLBACK_FIRST_RESPONSE.total_seconds()
