"""Report subscriptions and the periods already sent to each.

``report_subscriptions``: who gets which KPI report by email, daily or weekly,
at which local hour. ``report_runs``: one row per subscription and closed
period, written in the same transaction as the outbox rows that carry the
mails; the unique key on (subscription, period start) is what makes a period go
out once, whatever the retries, restarts or concurrent workers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

FREQUENCIES = ("daily", "weekly")


class ReportSubscription(Base):
    __tablename__ = "report_subscriptions"
    __table_args__ = (Index("ix_report_subscription_active", "active", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    frequency: Mapped[str] = mapped_column(String(10))
    # The local hour (0-23) the report for the period just closed goes out.
    hour: Mapped[int] = mapped_column(SmallInteger)
    timezone: Mapped[str] = mapped_column(String(64))
    # {"agent_id": ...}: one agent's figures instead of everyone's.
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_period_first: Mapped[date | None] = mapped_column(Date)
    last_period_last: Mapped[date | None] = mapped_column(Date)
    last_queued_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReportRun(Base):
    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_first", name="uq_report_run_period"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("report_subscriptions.id", ondelete="CASCADE")
    )
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
