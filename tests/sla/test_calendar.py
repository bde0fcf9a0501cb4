"""Business time: adding and measuring it, in 7×24 and in working hours with Chinese
public holidays and make-up workdays (调休) as the 2026 official notice sets them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwen.core.clock import SHANGHAI
from yiwen.sla.calendar import ALWAYS_OPEN, BusinessCalendar

WORKING = BusinessCalendar(kind="working_hours", opens_at=time(9), closes_at=time(21))
EVERY_DAY = BusinessCalendar(
    kind="working_hours", opens_at=time(8, 30), closes_at=time(17, 45), workdays="every_day"
)
CALENDARS = st.sampled_from([ALWAYS_OPEN, WORKING, EVERY_DAY])
# Moments across 2026, the year the holiday notice covers (deadlines may run into 2027).
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31, 23, 59)
).map(lambda naive: naive.replace(tzinfo=UTC))
DURATIONS = st.integers(min_value=1, max_value=30 * 24 * 3600).map(
    lambda seconds: timedelta(seconds=seconds)
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, duration=DURATIONS)
def test_adding_business_time_then_measuring_it_gives_it_back(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    assert calendar.between(start, calendar.add(start, duration)) == duration


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, duration=DURATIONS)
def test_a_deadline_never_lands_while_the_desk_is_closed(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    assert calendar.is_open(calendar.add(start, duration))


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, shorter=DURATIONS, longer=DURATIONS)
def test_more_business_time_never_gives_an_earlier_deadline(
    calendar: BusinessCalendar, start: datetime, shorter: timedelta, longer: timedelta
) -> None:
    shorter, longer = sorted((shorter, longer))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, middle=DURATIONS, end=DURATIONS)
def test_elapsed_business_time_adds_up_over_consecutive_spans(
    calendar: BusinessCalendar, start: datetime, middle: timedelta, end: timedelta
) -> None:
    first = start + middle
    second = first + end
    total = calendar.between(start, second)
    assert total == calendar.between(start, first) + calendar.between(first, second)
    assert total <= second - start


def test_national_day_2026_holidays_are_skipped() -> None:
    # Notice for 2026: 1–7 October off; Sunday 20 September and Saturday 10 October worked.
    start = local(2026, 9, 30, 20, 0)
    due = WORKING.add(start, timedelta(hours=2))
    assert due == local(2026, 10, 8, 10, 0)
    assert WORKING.between(local(2026, 10, 1), local(2026, 10, 8)) == timedelta(0)


def test_make_up_workdays_around_national_day_2026_count() -> None:
    assert WORKING.between(local(2026, 9, 20), local(2026, 9, 21)) == timedelta(hours=12)
    assert WORKING.between(local(2026, 10, 10), local(2026, 10, 11)) == timedelta(hours=12)
    # An ordinary weekend does not count.
    assert WORKING.between(local(2026, 10, 17), local(2026, 10, 19)) == timedelta(0)


def test_spring_festival_2026_holidays_and_make_up_days() -> None:
    # Notice for 2026: 15–23 February off; Saturdays 14 and 28 February worked.
    assert WORKING.is_open(local(2026, 2, 14, 10))
    assert not WORKING.is_open(local(2026, 2, 17, 10))
    assert WORKING.is_open(local(2026, 2, 28, 10))
    due = WORKING.add(local(2026, 2, 14, 20, 0), timedelta(hours=3))
    assert due == local(2026, 2, 24, 11, 0)


def test_the_clock_waits_for_opening_time_and_stops_at_closing_time() -> None:
    assert WORKING.add(local(2026, 11, 23, 7, 0), timedelta(minutes=30)) == local(
        2026, 11, 23, 9, 30
    )
    # Friday 20:30 + 1 h: 30 min on Friday, the rest on Monday morning.
    assert WORKING.add(local(2026, 11, 20, 20, 30), timedelta(hours=1)) == local(
        2026, 11, 23, 9, 30
    )


def test_a_seven_by_twenty_four_calendar_is_wall_time() -> None:
    start = local(2026, 10, 1, 3, 0)
    assert ALWAYS_OPEN.add(start, timedelta(hours=30)) == start + timedelta(hours=30)
    assert ALWAYS_OPEN.between(start, start + timedelta(days=2)) == timedelta(days=2)


def test_a_working_day_must_open_before_it_closes() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(kind="working_hours", opens_at=time(21), closes_at=time(9))


def test_every_day_calendar_opens_on_public_holidays() -> None:
    assert EVERY_DAY.is_working_day(date(2026, 10, 1))
    assert not WORKING.is_working_day(date(2026, 10, 1))
