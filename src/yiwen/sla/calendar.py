"""Business time: when the desk counts the clock, and deadline arithmetic in that time.

A promise such as "resolved within 24 business hours" is only honest if the
clock stops while the desk is closed. Working-hours calendars open on each
working day between two local times; "cn_statutory" working days follow the
State Council's holiday notices, including the make-up workdays (调休) that fall
on weekends, as published in the ``chinesecalendar`` package (maintained every
year from the official notice; it has 2026). For a year the package does not
cover yet, Monday to Friday are used, which is the rule the notices start from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]

log = logging.getLogger("yiwen.sla.calendar")

CalendarKind = Literal["24x7", "working_hours"]
Workdays = Literal["cn_statutory", "every_day"]
ZERO = timedelta(0)
# Ten years without one open day means a misconfigured calendar, not a long wait.
MAX_DAYS_SCANNED = 3660


@lru_cache(maxsize=4096)
def is_cn_workday(day: date) -> bool:
    """A working day under the official notice (holidays off, 调休 weekends on)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("no Chinese holiday data for %s; counting Monday to Friday", day.year)
        return day.weekday() < 5


@dataclass(frozen=True)
class BusinessCalendar:
    """When the clock runs. ``24x7`` ignores the other fields."""

    kind: CalendarKind = "24x7"
    timezone: str = "Asia/Shanghai"
    opens_at: time = time(9, 0)
    closes_at: time = time(21, 0)
    workdays: Workdays = "cn_statutory"

    def __post_init__(self) -> None:
        if self.kind == "working_hours" and self.opens_at >= self.closes_at:
            raise ValueError("a working day must open before it closes")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_day(self, day: date) -> bool:
        return self.workdays == "every_day" or is_cn_workday(day)

    def open_period(self, day: date) -> tuple[datetime, datetime] | None:
        """The open hours of one local day, or None when the desk is closed all day."""
        if not self.is_working_day(day):
            return None
        zone = self.zone
        return (
            datetime.combine(day, self.opens_at, tzinfo=zone),
            datetime.combine(day, self.closes_at, tzinfo=zone),
        )

    def _periods_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = moment.astimezone(self.zone).date()
        for offset in range(MAX_DAYS_SCANNED):
            period = self.open_period(day + timedelta(days=offset))
            if period is not None:
                yield period
        raise ValueError("calendar has no open hours in ten years")

    def is_open(self, moment: datetime) -> bool:
        """Open hours include their closing instant, where a deadline may fall."""
        if self.kind == "24x7":
            return True
        period = self.open_period(moment.astimezone(self.zone).date())
        return period is not None and period[0] <= moment <= period[1]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of business time after ``start``."""
        if duration < ZERO:
            raise ValueError("business durations are never negative")
        if self.kind == "24x7" or duration == ZERO:
            return start + duration
        remaining = duration
        for opens, closes in self._periods_from(start):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if available >= remaining:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        raise AssertionError("unreachable: _periods_from raises first")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from ``start`` to ``end`` (zero if ``end`` is not later)."""
        if end <= start:
            return ZERO
        if self.kind == "24x7":
            return end - start
        total = ZERO
        for opens, closes in self._periods_from(start):
            if opens >= end:
                break
            overlap = min(closes, end) - max(opens, start)
            if overlap > ZERO:
                total += overlap
        return total


ALWAYS_OPEN = BusinessCalendar()
