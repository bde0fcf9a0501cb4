"""Relative time words resolved against "now" in Shanghai, to the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwen.bot.nlu.timewords import extract_time
from yiwen.core.clock import SHANGHAI

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)  # a Sunday

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我昨天晚上8点买的", "2026-11-21T20:00"),
        ("上午十点半付的款", "2026-11-22T10:30"),
        ("前天下的单", "2026-11-20T00:00"),
        ("大前天早上", "2026-11-19T06:00"),
        ("刚才付款了", "2026-11-22T10:00"),
        ("半小时前充值的", "2026-11-22T09:30"),
        ("一个半小时前", "2026-11-22T08:30"),
        ("10分钟前付的", "2026-11-22T09:50"),
        ("两个小时前", "2026-11-22T08:00"),
        ("昨天下午三点二十", "2026-11-21T15:20"),
        ("11月20号买的", "2026-11-20T00:00"),
        ("2026-11-20 14:30 下单", "2026-11-20T14:30"),
        ("20号晚上", "2026-11-20T18:00"),
        ("周五晚上九点多", "2026-11-20T21:00"),
        ("上周六", "2026-11-14T00:00"),
        ("凌晨两点", "2026-11-22T02:00"),
        ("晚上8点买的", "2026-11-21T20:00"),
        ("昨天晚上12点", "2026-11-22T00:00"),
        ("十二点零五", "2026-11-21T12:05"),
    ],
)
def test_time_words_resolve_against_now(text: str, expected: str) -> None:
    assert extract_time(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["快一点", "买了100点券", "等了一晚上了", "卡密没收到", "三个月会员", "24小时客服"]
)
def test_words_that_are_not_a_moment_give_no_time(text: str) -> None:
    assert extract_time(text, NOW) is None


@given(moments)
def test_yesterday_is_the_previous_calendar_day_in_shanghai(now: datetime) -> None:
    expected = (local(now).date() - timedelta(days=1)).isoformat() + "T00:00"
    assert extract_time("昨天买的", now) == expected


@given(moments)
def test_yesterday_evening_at_eight_is_twenty_hundred_the_day_before(now: datetime) -> None:
    expected = (local(now).date() - timedelta(days=1)).isoformat() + "T20:00"
    assert extract_time("昨天晚上8点", now) == expected


@given(moments, st.integers(min_value=1, max_value=59))
def test_minutes_ago_keep_the_minute(now: datetime, minutes: int) -> None:
    expected = local(now).replace(second=0, microsecond=0, tzinfo=None) - timedelta(minutes=minutes)
    assert extract_time(f"{minutes}分钟前", now) == expected.strftime("%Y-%m-%dT%H:%M")


@given(moments)
def test_just_now_is_now_to_the_minute(now: datetime) -> None:
    assert extract_time("刚刚付的款", now) == local(now).strftime("%Y-%m-%dT%H:%M")


@given(moments)
def test_a_bare_weekday_is_never_in_the_future(now: datetime) -> None:
    found = extract_time("周三买的", now)
    assert found is not None
    day = datetime.fromisoformat(found).date()
    assert 0 <= (local(now).date() - day).days < 7
    assert day.weekday() == 2


def test_naive_now_is_read_as_shanghai_time() -> None:
    assert extract_time("刚才", datetime(2026, 11, 22, 10, 0)) == "2026-11-22T10:00"
