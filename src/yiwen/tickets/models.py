"""Ticket tables. Every list the console shows has a composite index behind it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.conversations.models import AutoId
from yiwen.core.db import Base
from yiwen.core.ids import new_id


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_ticket_status_updated", "status", "updated_at", "id"),
        Index("ix_ticket_assignee_status_updated", "assignee_id", "status", "updated_at", "id"),
        Index("ix_ticket_category_status_updated", "category", "status", "updated_at", "id"),
        Index("ix_ticket_queue_status_updated", "queue", "status", "updated_at", "id"),
        Index("ix_ticket_urgent_status_updated", "urgent", "status", "updated_at", "id"),
        Index("ix_ticket_updated", "updated_at", "id"),
        Index("ix_ticket_customer_created", "customer_id", "created_at"),
        # With the status, so a page of conversations finds its open tickets by this index
        # (SQLite, without statistics, walked every open ticket by the status index instead).
        Index("ix_ticket_conversation", "conversation_id", "status"),
        Index("ix_ticket_due", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="new")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    demand: Mapped[str | None] = mapped_column(String(20))
    key_info: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    contact: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    # Room for routing and SLA (issue 4): the queue, the tier and the deadlines.
    queue: Mapped[str | None] = mapped_column(String(40))
    tier: Mapped[str | None] = mapped_column(String(10))
    first_response_due_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[str | None] = mapped_column(String(32))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    resolution_round: Mapped[int] = mapped_column(Integer, default=0)
    # The client's id for a form submission, so a double submit opens one ticket.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TicketOrder(Base):
    """An order a ticket is about (a ticket may concern several)."""

    __tablename__ = "ticket_orders"
    __table_args__ = (Index("ix_ticket_order_order_no", "order_no"),)

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    order_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_at: Mapped[datetime]


class TicketEvent(Base):
    """One line of the timeline; ``visibility='public'`` lines are shown to the customer."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_event_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    visibility: Mapped[str] = mapped_column(String(10), default="internal")
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]


class TicketCounter(Base):
    """The last ticket number handed out per day (Asia/Shanghai date)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class CsatRating(Base):
    """One rating per resolution of a ticket, credited to the agent who resolved it."""

    __tablename__ = "csat_ratings"
    __table_args__ = (
        UniqueConstraint("ticket_id", "resolution_round", name="uq_csat_ticket_round"),
        Index("ix_csat_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    resolution_round: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    agent_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
