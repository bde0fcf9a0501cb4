"""API shapes of the SLA admin routes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yiwen.sla.models import SlaCalendar, SlaPolicy

# A target of a year at most: beyond that a promise means nothing.
Minutes = Field(default=None, ge=1, le=525_600)
HOUR_MINUTE = r"^([01]\d|2[0-3]):[0-5]\d$"


class PolicyIn(BaseModel):
    """A policy's scope ("*" = any), targets in minutes (null = inherit) and compensation."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    category: str = Field(default="*", min_length=1, max_length=40)
    priority: str = Field(default="*", min_length=1, max_length=10)
    customer_tier: Literal["standard", "vip", "*"] = "*"
    first_response_minutes: int | None = Minutes
    next_response_minutes: int | None = Minutes
    resolution_minutes: int | None = Minutes
    calendar_id: str = Field(min_length=1, max_length=32)
    compensation_coupon: Decimal | None = Field(default=None, gt=0, le=1000, decimal_places=2)
    is_active: bool = True


class PolicyOut(PolicyIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, policy: SlaPolicy) -> PolicyOut:
        return cls.model_validate(policy)


class CalendarIn(BaseModel):
    """7×24, or working hours on working days (Chinese statutory ones, or every day)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    kind: Literal["24x7", "working_hours"]
    timezone: str = Field(default="Asia/Shanghai", min_length=1, max_length=40)
    opens_at: str = Field(default="09:00", pattern=HOUR_MINUTE)
    closes_at: str = Field(default="21:00", pattern=HOUR_MINUTE)
    workdays: Literal["cn_statutory", "every_day"] = "cn_statutory"


class CalendarOut(CalendarIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, calendar: SlaCalendar) -> CalendarOut:
        return cls.model_validate(calendar)


class PolicyList(BaseModel):
    items: list[PolicyOut]


class CalendarList(BaseModel):
    items: list[CalendarOut]


class CategoryPromiseOut(BaseModel):
    """The promise a category's new tickets get (opening priority, standard customer)."""

    model_config = ConfigDict(from_attributes=True)

    category: str
    priority: str
    policy_id: str | None
    policy_name: str | None
    calendar_id: str | None
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int


class CalendarDayOut(BaseModel):
    """``reason``: workday, makeup_workday (调休), weekend, holiday, every_day or always_open."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    open: bool
    opens_at: str | None
    closes_at: str | None
    reason: str
    holiday: str | None
