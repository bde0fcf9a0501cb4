"""Counted series, their per-minute and hourly counts, and each series' learned baseline and alarm.

Counts are rows, so detection survives a restart and every worker process sees
the same numbers. Minute counts are kept for ``MINUTE_RETENTION`` (the windows
judged and the recounts need a few hours; three days leave room), hourly counts
for thirteen weeks (the baseline learns from twelve). Only non-zero counts are
stored: a missing minute is a zero.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.conversations.models import Conversation
from yiwen.core.db import Base
from yiwen.core.ids import new_id

MINUTE_RETENTION = timedelta(days=3)
HOURLY_RETENTION = timedelta(weeks=13)


class AnomalySeries(Base):
    """One (measure, dimension, value), with its baseline and its alarm's hysteresis state."""

    __tablename__ = "anomaly_series"
    __table_args__ = (UniqueConstraint("measure", "dimension", "value", name="uq_anomaly_series"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    measure: Mapped[str] = mapped_column(String(32))
    dimension: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))
    # How people call the value (a supplier's name for its id), and the supplier of a product.
    label: Mapped[str | None] = mapped_column(String(100))
    parent_supplier: Mapped[str | None] = mapped_column(String(100))
    first_minute: Mapped[int] = mapped_column(BigInteger)
    baseline: Mapped[dict[str, object] | None] = mapped_column(JSON)
    trained_at: Mapped[datetime | None]
    # Learned facts besides the baseline, e.g. a supplier's p90 answer time in seconds.
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    alarm_active: Mapped[bool] = mapped_column(default=False)
    anomalous_run: Mapped[int] = mapped_column(Integer, default=0)
    normal_run: Mapped[int] = mapped_column(Integer, default=0)
    run_started_minute: Mapped[int | None] = mapped_column(BigInteger)
    last_evaluated_minute: Mapped[int | None] = mapped_column(BigInteger)
    # The last window judged: observed (robust) count, expected count and z-score.
    last_verdict: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class AnomalyMinuteCount(Base):
    __tablename__ = "anomaly_minute_counts"
    __table_args__ = (Index("ix_anomaly_minute", "minute"),)

    series_id: Mapped[str] = mapped_column(
        ForeignKey("anomaly_series.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AnomalyHourlyCount(Base):
    __tablename__ = "anomaly_hourly_counts"
    __table_args__ = (Index("ix_anomaly_hour", "hour"),)

    series_id: Mapped[str] = mapped_column(
        ForeignKey("anomaly_series.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


# Contact volume counts new conversations per minute: the recount reads them by time.
CONVERSATION_CREATED_INDEX = Index("ix_conversation_created", Conversation.created_at)
