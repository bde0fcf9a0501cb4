"""Outbox rows and webhook endpoints.

Every outbound notification is a row written in the transaction of the change it
announces, so a crash can delay a delivery but never lose or invent one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

# pending: waiting for its next attempt; sending: claimed by a worker until
# next_attempt_at (a worker that dies leaves it to be claimed again then);
# sent: the receiver accepted it; failed: a retriable error, retried at
# next_attempt_at; dead: permanent error or attempts exhausted (manual retry).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dead")
DUE_STATUSES = ("pending", "sending", "failed")
NOTIFIER_KINDS = ("email", "sms", "webhook", "channel")


class OutboxEntry(Base):
    __tablename__ = "notify_outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_created", "created_at", "id"),
        Index("ix_outbox_status_updated", "status", "updated_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class WebhookEndpoint(Base):
    """An admin-configured receiver of signed event POSTs."""

    __tablename__ = "notify_webhooks"
    __table_args__ = (Index("ix_webhook_active", "active", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    # Event names, or prefixes ending in ".*" ("ticket.*"); empty means every event.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
