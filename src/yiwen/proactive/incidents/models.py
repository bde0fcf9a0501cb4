"""An incident, the orders it affects and its timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.conversations.models import AutoId
from yiwen.core.db import Base
from yiwen.core.ids import new_id

# open: flagged, nobody has taken it; acknowledged: a supervisor is on it; resolved: closed.
INCIDENT_STATUSES = ("open", "acknowledged", "resolved")
ACTIVE_STATUSES = ("open", "acknowledged")


class Incident(Base):
    """One anomaly of one series (with related series attached), from detection to resolution.

    ``started_at`` is when the counts began to depart (the first anomalous
    window), ``detected_at`` when the alarm was raised, ``ended_at`` when the
    counts were back to normal (the incident stays until a supervisor resolves it).
    """

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incident_status_detected", "status", "detected_at", "id"),
        Index("ix_incident_detected", "detected_at", "id"),
        Index("ix_incident_series_status", "series_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("anomaly_series.id"))
    measure: Mapped[str] = mapped_column(String(32))
    dimension: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    suggested_action: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(15), default="open")
    started_at: Mapped[datetime]
    detected_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # The window last judged and the worst one: observed (robust) vs expected counts.
    window_minutes: Mapped[int] = mapped_column(Integer)
    last_observed: Mapped[int] = mapped_column(Integer)
    last_expected: Mapped[float]
    peak_observed: Mapped[int] = mapped_column(Integer)
    peak_expected: Mapped[float]
    peak_z: Mapped[float]
    # Everything the detector counted for this series since the start, and the normal for it.
    total_observed: Mapped[int] = mapped_column(BigInteger, default=0)
    baseline_per_hour: Mapped[float]
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IncidentOrder(Base):
    """An order the incident touched (a failed or stuck push, a payment without callback)."""

    __tablename__ = "incident_orders"
    __table_args__ = (Index("ix_incident_order_order_no", "order_no"),)

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    order_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact: Mapped[str | None] = mapped_column(String(128))
    shop_user_id: Mapped[str | None] = mapped_column(String(64))
    product_id: Mapped[str | None] = mapped_column(String(64))
    product_name: Mapped[str | None] = mapped_column(String(200))
    supplier: Mapped[str | None] = mapped_column(String(100))
    payment_method: Mapped[str | None] = mapped_column(String(20))
    # What went wrong with it (push_failed, push_slow, payment_callback_missing).
    problem: Mapped[str] = mapped_column(String(32))
    # The order's status at the shop when last seen; delivered ones are no longer affected.
    order_status: Mapped[str | None] = mapped_column(String(24))
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IncidentEvent(Base):
    """One line of an incident's timeline (detected, more orders, acknowledged, ended…)."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_event_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
