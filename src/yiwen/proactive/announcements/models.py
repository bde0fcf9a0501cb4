"""Announcements, the notices sent for them, what was done to each affected order, opt-outs.

The notice row is the "exactly once" guarantee: one per (announcement,
customer), enforced by a unique constraint, written in the transaction that
posts the message and queues its delivery, so a second click, a re-run job or
a restarted worker finds the row and sends nothing again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

# all: every customer; supplier / product: orders of that upstream or product;
# category: a kind of goods (card_key 卡密 / direct_topup 直充).
SCOPES = ("all", "supplier", "product", "category")
# active: shown from starts_at until ends_at; closed: fixed (the close follow-up runs once).
ANNOUNCEMENT_STATUSES = ("active", "closed")
# sent: posted and queued on the customer's channel; skipped_opt_out: the customer said 退订;
# unreachable: no conversation, no channel identity and no mailbox to reach them by.
NOTICE_STATUSES = ("sent", "skipped_opt_out", "unreachable")
# repushed: the shop pushed to the supplier again; review: a ticket asks a person to look;
# delivered: nothing to do, the order arrived meanwhile.
ORDER_ACTIONS = ("repushed", "review", "delivered")


class Announcement(Base):
    __tablename__ = "proactive_announcements"
    __table_args__ = (
        Index("ix_announcement_status_start", "status", "starts_at"),
        Index("ix_announcement_work", "work_due", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(12), default="all")
    scope_value: Mapped[str | None] = mapped_column(String(64))
    # Words that make a customer's message about this announcement ("王者", "充值").
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Affected orders named by hand (or copied from the incident) besides the scope's.
    order_nos: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The incident it came from (yiwen.proactive.incidents); no foreign key by design.
    incident_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), default="active")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # The text customers are told when it is fixed (a default one when empty).
    resolution_text: Mapped[str] = mapped_column(Text, default="")
    # Work the worker still owes: "notify" (send notices), "close" (re-push and tell), or None.
    work_due: Mapped[str | None] = mapped_column(String(10))
    notices_requested_at: Mapped[datetime | None]
    notices_done_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_done_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AnnouncementNotice(Base):
    """One customer told about one announcement (and, on close, told it is fixed)."""

    __tablename__ = "proactive_notices"
    __table_args__ = (
        UniqueConstraint("announcement_id", "customer_id", name="uq_notice_customer"),
        Index("ix_notice_announcement_status", "announcement_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    announcement_id: Mapped[str] = mapped_column(ForeignKey("proactive_announcements.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    order_nos: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(20))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    # The second notice, when the announcement closed: sent / skipped_opt_out / unreachable.
    resolved_status: Mapped[str | None] = mapped_column(String(16))
    resolved_at: Mapped[datetime | None]


class AnnouncementOrder(Base):
    """What closing the announcement did to one affected order (once per order)."""

    __tablename__ = "proactive_announcement_orders"
    __table_args__ = (
        UniqueConstraint("announcement_id", "order_no", name="uq_announcement_order"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    announcement_id: Mapped[str] = mapped_column(ForeignKey("proactive_announcements.id"))
    order_no: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str | None] = mapped_column(String(100))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class NoticeOptOut(Base):
    """A customer who asked for no proactive notices (回复“退订”, or the API)."""

    __tablename__ = "proactive_opt_outs"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
