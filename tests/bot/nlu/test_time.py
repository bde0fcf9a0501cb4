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
        ("上午九点半付的款", "2026-11-22T09:30"),
        ("上午十点半付的款", "2026-11-21T10:30"),
        ("大前天早上7点", "2026-11-19T07:00"),
        ("刚才付款了", "2026-11-22T10:00"),
        ("半小时前充值的", "2026-11-22T09:30"),
        ("一个半小时前", "2026-11-22T08:30"),
        ("10分钟前付的", "2026-11-22T09:50"),
        ("两个小时前", "2026-11-22T08:00"),
        ("昨天下午三点二十", "2026-11-21T15:20"),
        ("11月20号晚上9点买的", "2026-11-20T21:00"),
        ("2026-11-20 14:30 下单", "2026-11-20T14:30"),
        ("20号晚上八点一刻", "2026-11-20T20:15"),
        ("周五晚上九点", "2026-11-20T21:00"),
        ("上周六下午3点", "2026-11-14T15:00"),
        ("凌晨两点", "2026-11-22T02:00"),
        ("晚上8点买的", "2026-11-21T20:00"),
        ("昨天晚上12点", "2026-11-22T00:00"),
        ("十二点零五", "2026-11-22T00:05"),
    ],
)
def test_time_words_resolve_against_now(text: str, expected: str) -> None:
    assert extract_time(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "快一点",
        "买了100点券",
        "等了一晚上了",
        "卡密没收到",
        "三个月会员",
        "24小时客服",
        # A day, or a part of one, does not tell the minute (tests/bot/nlu/TESTSET.md).
        "前天下的单",
        "昨天晚上买的",
        "上周六",
        "11月20号买的",
        "今天凌晨付的",
        # "and a bit" does not either.
        "周五晚上九点多",
        "一个多小时前",
        "三天前买的",
        "12点多付的",
        # Neither do numbers that are not hours, nor a "号" inside a word.
        "有两点问题想问",
        "出个王者v8号",
        "晚上也发货吗",
    ],
)
def test_words_that_are_not_a_moment_give_no_time(text: str) -> None:
    assert extract_time(text, NOW) is None


@given(moments)
def test_yesterday_without_a_clock_time_gives_no_minute(now: datetime) -> None:
    assert extract_time("昨天买的", now) is None


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
    found = extract_time("周三晚上8点买的", now)
    assert found is not None
    day = datetime.fromisoformat(found).date()
    assert 0 <= (local(now).date() - day).days < 7
    assert day.weekday() == 2


def test_naive_now_is_read_as_shanghai_time() -> None:
    assert extract_time("刚才", datetime(2026, 11, 22, 10, 0)) == "2026-11-22T10:00"


@given(moments, st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_a_clock_time_without_a_day_is_never_in_the_future(
    now: datetime, hour: int, minute: int
) -> None:
    found = extract_time(f"{hour}:{minute:02d}付的款", now)
    assert found is not None
    moment = datetime.fromisoformat(found).replace(tzinfo=SHANGHAI)
    assert timedelta(0) <= local(now).replace(second=0, microsecond=0) - moment < timedelta(days=1)


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # A bare hour is the morning or the evening one, whichever came last.
        (datetime(2026, 11, 23, 15, 20), "两点付的款", "2026-11-23T14:00"),
        (datetime(2026, 11, 30, 23, 50), "十点付的款", "2026-11-30T22:00"),
        (datetime(2026, 11, 30, 23, 55), "十点三刻付的", "2026-11-30T22:45"),
        (datetime(2026, 11, 22, 10, 0), "8点付的", "2026-11-22T08:00"),
        # Near midnight and across a year.
        (datetime(2026, 11, 23, 0, 10), "23:40付的款", "2026-11-22T23:40"),
        (datetime(2026, 11, 23, 0, 10), "昨晚11点半付的", "2026-11-22T23:30"),
        (datetime(2027, 1, 1, 0, 20), "12月31号晚上11点付的", "2026-12-31T23:00"),
        (datetime(2026, 12, 1, 9, 30), "11月30号晚上11点半买的", "2026-11-30T23:30"),
        # English.
        (datetime(2026, 11, 22, 10, 0), "paid 30 min ago", "2026-11-22T09:30"),
        (datetime(2026, 11, 22, 10, 0), "ordered 2 hours ago", "2026-11-22T08:00"),
    ],
)
def test_clock_times_resolve_to_the_most_recent_moment(
    now: datetime, text: str, expected: str
) -> None:
    assert extract_time(text, now.replace(tzinfo=SHANGHAI)) == expected
