"""When a subscription's report is due, and which closed period it covers.

A daily report goes out at hour H (the subscription's time zone) for the day
before; a weekly one on Monday at hour H for Monday to Sunday of the week
before. The period due at an instant is the one of the latest send moment not
after it, so a worker that was down at the send moment sends that period when
it comes back, once, and periods missed before it are not sent in a burst.
A send moment before the subscription existed is never due: subscribing on a
Tuesday does not mail last week's report at once ("send now" does that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yiwen.core.errors import InvalidInput


@dataclass(frozen=True)
class DuePeriod:
    first: date
    last: date
    send_at: datetime  # UTC


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("report_invalid_timezone", timezone=name) from None


def latest_period(frequency: str, hour: int, zone: ZoneInfo, now: datetime) -> DuePeriod:
    """The period whose send moment is the latest one at or before ``now``."""
    local = now.astimezone(zone)
    send_day = local.date()
    if frequency == "weekly":
        send_day -= timedelta(days=send_day.weekday())
    send_at = _at(send_day, hour, zone)
    if send_at > now:
        send_day -= timedelta(days=7 if frequency == "weekly" else 1)
        send_at = _at(send_day, hour, zone)
    span = 7 if frequency == "weekly" else 1
    return DuePeriod(send_day - timedelta(days=span), send_day - timedelta(days=1), send_at)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    # A wall-clock hour skipped by a DST jump resolves forward (fold=0), as zoneinfo does.
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def due_period(
    frequency: str, hour: int, zone: ZoneInfo, now: datetime, created_at: datetime
) -> DuePeriod | None:
    period = latest_period(frequency, hour, zone, now)
    return period if period.send_at >= created_at else None
