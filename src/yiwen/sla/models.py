"""SLA tables. Names and columns are a contract with analytics (SLA compliance); keep them stable.

- ``sla_calendars``: business calendars (``kind`` "24x7" | "working_hours", ``timezone``,
  ``opens_at``/``closes_at`` "HH:MM", ``workdays`` "cn_statutory" | "every_day").
- ``sla_policies``: targets in minutes per (``category``, ``priority``, ``customer_tier``),
  each "*" for any; a NULL target is inherited from the next less specific match.
- ``ticket_sla``: one running clock per ticket. A ``*_due_at`` is NULL once its target
  was met or breached; ``earliest_due_at`` is the earliest still running,
  ``next_check_at`` the next moment the sweep has work (a warning or a breach).
- ``sla_breaches``: one row per missed target (``target`` "first_response" |
  "next_response" | "resolution"), with the deadline missed and when it was seen.
- ``sla_compensations``: at most one per ticket (``status`` "pending" | "issued" |
  "no_recipient"); ``idempotency_key`` is what the shop sees.
- ``ticket_closing``: resolved tickets on their way to being closed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

ANY = "*"
TARGETS = ("first_response", "next_response", "resolution")


class SlaCalendar(Base):
    __tablename__ = "sla_calendars"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="24x7")
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    opens_at: Mapped[str] = mapped_column(String(5), default="09:00")
    closes_at: Mapped[str] = mapped_column(String(5), default="21:00")
    workdays: Mapped[str] = mapped_column(String(20), default="cn_statutory")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("category", "priority", "customer_tier", name="uq_sla_policy_scope"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40), default=ANY)
    priority: Mapped[str] = mapped_column(String(10), default=ANY)
    customer_tier: Mapped[str] = mapped_column(String(10), default=ANY)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    next_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_id: Mapped[str] = mapped_column(ForeignKey("sla_calendars.id"))
    # Yuan of coupon owed to the customer when the resolution promise is broken.
    compensation_coupon: Mapped[Decimal | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TicketSla(Base):
    __tablename__ = "ticket_sla"
    __table_args__ = (
        Index("ix_ticket_sla_next_check", "next_check_at"),
        Index("ix_ticket_sla_earliest_due", "earliest_due_at"),
    )

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[str | None] = mapped_column(String(32))
    calendar_id: Mapped[str | None] = mapped_column(String(32))
    first_response_target_s: Mapped[int | None] = mapped_column(Integer)
    next_response_target_s: Mapped[int | None] = mapped_column(Integer)
    resolution_target_s: Mapped[int | None] = mapped_column(Integer)
    first_response_due_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    earliest_due_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    paused_since: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # "target:fraction" entries already warned about, e.g. "resolution:0.75".
    warned: Mapped[list[str]] = mapped_column(JSON, default=list)
    breached: Mapped[list[str]] = mapped_column(JSON, default=list)
    escalated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # An outside authority's deadline (a 12315 complaint's) fixes the resolution due time:
    # neither a pause nor a change of priority moves it (see clocks.fix_resolution_due).
    resolution_fixed: Mapped[bool] = mapped_column(Boolean, default=False)


class SlaBreach(Base):
    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "due_at", name="uq_sla_breach_once"),
        Index("ix_sla_breach_at", "breached_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20))
    policy_id: Mapped[str | None] = mapped_column(String(32))
    due_at: Mapped[datetime]
    breached_at: Mapped[datetime]


class SlaCompensation(Base):
    __tablename__ = "sla_compensations"
    __table_args__ = (Index("ix_sla_compensation_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    policy_id: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[Decimal]
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    issued_at: Mapped[datetime | None]


class TicketClosing(Base):
    __tablename__ = "ticket_closing"
    __table_args__ = (Index("ix_ticket_closing_next_check", "next_check_at"),)

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    resolved_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    notice_at: Mapped[datetime | None]
    # Why closing waits ("refund", "repush_upstream", "compensation"…), shown to staff.
    held_reason: Mapped[str | None] = mapped_column(String(40))
    next_check_at: Mapped[datetime]
