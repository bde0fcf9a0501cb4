"""API shapes of incidents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class IncidentOut(BaseModel):
    id: str
    title: str
    status: str
    measure: str
    dimension: str
    value: str
    label: str | None
    suggested_action: str
    started_at: datetime
    detected_at: datetime
    ended_at: datetime | None
    window_minutes: int
    last_observed: int
    last_expected: float
    peak_observed: int
    peak_expected: float
    total_observed: int
    baseline_per_hour: float
    affected_order_count: int
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None


class TimelineEntryOut(BaseModel):
    kind: str
    actor_type: str
    actor_name: str | None
    body: str
    data: dict[str, object]
    at: datetime


class AffectedOrderOut(BaseModel):
    order_no: str
    contact: str | None
    shop_user_id: str | None
    product_id: str | None
    product_name: str | None
    supplier: str | None
    payment_method: str | None
    problem: str
    order_status: str | None
    first_seen_at: datetime


class LinkedAnnouncementOut(BaseModel):
    id: str
    title: str
    status: str
    starts_at: datetime


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEntryOut]
    affected_orders: list[AffectedOrderOut]
    announcements: list[LinkedAnnouncementOut]


class ResolveForm(BaseModel):
    note: str = Field(default="", max_length=2000)
    # Close the announcements published from the incident that still show (their banner
    # goes, their customers are told it is over).
    close_announcements: bool = True
