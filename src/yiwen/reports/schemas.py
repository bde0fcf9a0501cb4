"""API shapes of report subscriptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yiwen.reports.models import ReportSubscription


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    recipients: list[str] = Field(min_length=1, max_length=20)
    frequency: Literal["daily", "weekly"]
    hour: int = Field(default=8, ge=0, le=23, description="Local hour the report goes out")
    timezone: str = Field(default="Asia/Shanghai", min_length=1, max_length=64)
    agent_id: str | None = Field(
        default=None, max_length=32, description="One agent's figures instead of everyone's"
    )
    active: bool = True


class SubscriptionOut(BaseModel):
    id: str
    name: str
    recipients: list[str]
    frequency: str
    hour: int
    timezone: str
    agent_id: str | None
    active: bool
    last_period_first: date | None
    last_period_last: date | None
    last_queued_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class SendNowOut(BaseModel):
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    recipients: int


def subscription_out(subscription: ReportSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        name=subscription.name,
        recipients=list(subscription.recipients),
        frequency=subscription.frequency,
        hour=subscription.hour,
        timezone=subscription.timezone,
        agent_id=subscription.filters.get("agent_id"),
        active=subscription.active,
        last_period_first=subscription.last_period_first,
        last_period_last=subscription.last_period_last,
        last_queued_at=subscription.last_queued_at,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )
