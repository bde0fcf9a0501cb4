"""Routing tables: queues, the category map, agents' routing profiles, waiting work, assignments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id


class RoutingQueue(Base):
    """One queue per department and tier; the estimate's defaults are tunable per queue."""

    __tablename__ = "routing_queues"
    __table_args__ = (UniqueConstraint("department", "tier", name="uq_routing_queue_dept_tier"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    department: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(50))
    # Used while the queue has no recent history (a fresh install, a quiet night).
    default_handle_minutes: Mapped[int] = mapped_column(Integer, default=6)
    arrival_floor_per_hour: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]


class CategoryRoute(Base):
    """Which queue a ticket of a category waits in; unmapped categories go to general L1."""

    __tablename__ = "routing_category_routes"

    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    queue_key: Mapped[str] = mapped_column(ForeignKey("routing_queues.key"))
    updated_at: Mapped[datetime]


class AgentProfile(Base):
    """How an agent takes work: departments served, tier, presence, capacity, hourly cap."""

    __tablename__ = "routing_agent_profiles"
    __table_args__ = (Index("ix_routing_agent_presence", "presence"),)

    agent_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    tier: Mapped[str] = mapped_column(String(4), default="L1")
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    hourly_cap: Mapped[int | None] = mapped_column(Integer)
    presence_changed_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class QueueEntry(Base):
    """A piece of work waiting for a human: a conversation, its ticket, or a ticket alone.

    ``state`` is waiting until routing assigns it (``assigned``) or someone takes
    it by hand or it stops needing anyone (``withdrawn``). Entries stay as the
    queue's history: arrival rates and handle times are computed from them.
    """

    __tablename__ = "routing_queue_entries"
    __table_args__ = (
        Index("ix_routing_entry_state_queue", "state", "queue_key", "enqueued_at"),
        Index("ix_routing_entry_queue_enqueued", "queue_key", "enqueued_at"),
        Index("ix_routing_entry_queue_assigned", "queue_key", "assigned_at"),
        Index("ix_routing_entry_conversation", "conversation_id", "state"),
        Index("ix_routing_entry_ticket", "ticket_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    queue_key: Mapped[str] = mapped_column(ForeignKey("routing_queues.key"))
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    enqueued_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    agent_id: Mapped[str | None] = mapped_column(String(32))
    # What the customer was last told, so a change is announced once.
    notified_position: Mapped[int | None] = mapped_column(Integer)
    notified_wait_minutes: Mapped[int | None] = mapped_column(Integer)


class AssignmentRecord(Base):
    """Every assignment, by routing or by hand: load history, hourly caps, returning customers."""

    __tablename__ = "routing_assignments"
    __table_args__ = (
        Index("ix_routing_assignment_agent_at", "agent_id", "at"),
        Index("ix_routing_assignment_customer_at", "customer_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    customer_id: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    queue_key: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
