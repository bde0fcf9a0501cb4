"""What is counted (measures), along which dimension, and the minute grid counts sit on.

A series is one (measure, dimension, value): ``push_failed / supplier / fengniao``
is the number of upstream pushes to 蜂鸟卡业 that failed, per minute. Time on the
grid is an integer minute (or hour) since the Unix epoch in UTC, so arrays of
counts line up without datetime arithmetic; seasonality is read in Asia/Shanghai
local time, which has no daylight saving (a fixed +8 h).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Measure = Literal[
    "push_total",  # upstream pushes sent (context: the volume behind the failures)
    "push_failed",  # upstream pushes the supplier refused
    "push_slow",  # pushes not answered within the supplier's normal (p90) latency
    "payment_total",  # payments started (context)
    "payment_callback_missing",  # paid at the gateway, no callback after N minutes
    "card_invalid",  # card-invalid reports: tickets and bot conversations
    "contacts",  # new conversations and tickets (contact volume)
]
Dimension = Literal["all", "supplier", "product", "payment_method", "region", "channel", "category"]

MEASURES: tuple[Measure, ...] = (
    "push_total",
    "push_failed",
    "push_slow",
    "payment_total",
    "payment_callback_missing",
    "card_invalid",
    "contacts",
)
DIMENSIONS: tuple[Dimension, ...] = (
    "all",
    "supplier",
    "product",
    "payment_method",
    "region",
    "channel",
    "category",
)
# Measures that are watched for a rise; the totals are only context for them.
WATCHED: frozenset[str] = frozenset(
    {"push_failed", "push_slow", "payment_callback_missing", "card_invalid", "contacts"}
)
# The volume each watched measure is a part of, shown beside it in an incident.
CONTEXT: dict[str, str] = {
    "push_failed": "push_total",
    "push_slow": "push_total",
    "payment_callback_missing": "payment_total",
}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOCAL_OFFSET_MINUTES = 8 * 60  # Asia/Shanghai, no daylight saving
MINUTES_PER_HOUR = 60
HOURS_PER_DAY = 24
# 1970-01-01 was a Thursday; weekday() counts Monday as 0.
EPOCH_WEEKDAY = 3


@dataclass(frozen=True, order=True)
class SeriesKey:
    measure: str
    dimension: str
    value: str

    def label(self) -> str:
        return f"{self.measure}/{self.dimension}/{self.value}"


def minute_of(moment: datetime) -> int:
    """The grid minute that contains ``moment``."""
    return int((moment - EPOCH).total_seconds() // 60)


def minute_start(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def hour_start(hour: int) -> datetime:
    return EPOCH + timedelta(hours=hour)


def local_hour_of_day(hour: int) -> int:
    return (hour + LOCAL_OFFSET_MINUTES // 60) % HOURS_PER_DAY


def local_weekday(hour: int) -> int:
    return ((hour + LOCAL_OFFSET_MINUTES // 60) // HOURS_PER_DAY + EPOCH_WEEKDAY) % 7
