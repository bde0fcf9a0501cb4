"""The reporting period: whole Asia/Shanghai days, checked before any query runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import yiwen.analytics.messages  # noqa: F401  (registers the texts)
from yiwen.core.clock import SHANGHAI
from yiwen.core.errors import InvalidInput

# A year (and a leap day): long enough for annual reports, short enough to stay fast.
MAX_DAYS = 366
GROUPS = ("day", "agent", "category", "channel", "queue")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last`` inclusive, in Asia/Shanghai; ``start``/``end`` are UTC bounds.

    ``end`` is exclusive: the first instant of the day after ``last``.
    """

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return day_start(self.first)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def parse_day(text: str, field: str) -> date:
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
        # Far-off years overflow the UTC bounds (and mean a typo anyway).
        if not 2000 <= day.year <= 2999:
            raise ValueError(text)
    except ValueError:
        raise InvalidInput("kpi_invalid_date", field=field) from None
    return day


def check_period(first: date, last: date) -> Period:
    if first > last:
        raise InvalidInput("kpi_range_reversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput("kpi_range_too_long", days=MAX_DAYS)
    return Period(first, last)


def check_group(group_by: str | None) -> str | None:
    if group_by in (None, ""):
        return None
    if group_by not in GROUPS:
        raise InvalidInput("kpi_unknown_group", group_by=group_by)
    return group_by


def default_period(today: date) -> tuple[date, date]:
    """The last seven days, today included, when the caller names no period."""
    return today - timedelta(days=6), today
