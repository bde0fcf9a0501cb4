"""When something happened, from the words customers use: 昨天晚上8点, 上午十点半, 前天, 刚才.

Resolved against the injected "now" in Asia/Shanghai and given to the minute.
Conventions (documented because a time slot is only useful if everyone reads it
the same way, and the same as the NLU's test sets, tests/bot/nlu/TESTSET.md):

- the slot is a minute, so a message that does not tell the minute gives no
  time: a bare day (前天, 周五, 11月20号, 三天前), a day with only a part of it
  (昨天晚上, 今天凌晨), an hour "and a bit" (9点多, 一个多小时前);
- 下午/傍晚/晚上 move a 1-11 o'clock hour to the afternoon (晚上8点 → 20:00);
- customers report the past: a clock time with no day word is the most recent
  such moment at or before now (23:40 said at 00:10 is yesterday's); with no
  part of the day either, "8点" is 08:00 or 20:00, whichever came last;
- a weekday is its most recent occurrence, 上周X is weekday X of the previous
  Monday-to-Sunday week;
- "N 分钟/小时前" (also "N min ago") and 刚才 keep the minute (半小时前 at
  10:00 → 09:30).

jionlp's time parser was tried first: it resolves relative hours against the
machine's time zone (半小时前 came out as 01:00 on a UTC host for a 10:00
Shanghai "now"), does not know 刚才, and brings a 16 MB dependency, so this
module does the few shapes customers use with regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from yiwen.core.clock import SHANGHAI

from .numerals import small_int

_N = r"(\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"

# Bare 刚 ("刚买的") is left out: it often means "recently", not this minute.
_JUST_NOW = re.compile(r"刚才|刚刚|方才")
_AGO = re.compile(
    r"(\d{1,3}|[一二两三四五六七八九十]{1,3}|半)\s*(?:个)?\s*(半)?\s*(多)?\s*(?:个)?\s*"
    r"(小时|钟头|个钟|分钟|分|天|周|星期)\s*(?:之|以)?前"
)
_AGO_ENGLISH = re.compile(
    r"(\d{1,3}|an?|half an)\s*(min(?:ute)?s?|h(?:ou)?rs?|hours?)\s*ago", re.IGNORECASE
)
_HALF_HOUR_AGO = re.compile(r"(?:一|1)?个?半小时(?:之|以)?前")
_DAY_WORDS = (
    ("大前天", -3),
    ("前天", -2),
    ("前晚", -2),
    ("昨天", -1),
    ("昨日", -1),
    ("昨晚", -1),
    ("昨儿", -1),
    ("昨早", -1),
    ("昨夜", -1),
    ("今天", 0),
    ("今日", 0),
    ("今早", 0),
    ("今晚", 0),
    ("今儿", 0),
)
_FULL_DATE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(_N + r"\s*月\s*" + r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]?")
_SLASH_DATE = re.compile(r"(?<![\d.])(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[日号]")
_SLASH_ONLY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
_DAY_OF_MONTH = re.compile(
    r"(?<![\dA-Za-z月])(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[号日](?![元块])"
)
_WEEKDAY = re.compile(r"(上上|上|这|本)?\s*(?:个)?\s*(?:周|星期|礼拜)([一二三四五六日天1-7])")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_PERIODS = (
    ("凌晨", 0, False),
    ("半夜", 0, False),
    ("深夜", 23, True),
    ("清晨", 6, False),
    ("早上", 6, False),
    ("早晨", 6, False),
    ("大早", 6, False),
    ("今早", 6, False),
    ("昨早", 6, False),
    ("上午", 8, False),
    ("中午", 12, False),
    ("午饭", 12, False),
    ("下午", 13, True),
    ("傍晚", 17, True),
    ("晚上", 18, True),
    ("夜里", 18, True),
    ("今晚", 18, True),
    ("昨晚", 18, True),
    ("前晚", 18, True),
    ("昨夜", 18, True),
    ("晚", 18, True),
)
_CLOCK = re.compile(
    _N + r"\s*(?:点|:|时)(?!券|卡|数|赞|击|开|进)\s*(?:钟)?\s*"
    r"(半|一刻|三刻|\d{1,2}|[零一二三四五六七八九十]{1,3})?\s*(?:分)?(多)?"
)
# "等了一晚上" is how long, not when.
_DURATION = re.compile(r"[一整](?:个)?(?:晚上|上午|下午|早上|晚|夜|通宵)")
_COLON_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])\s*:\s*([0-5]\d)(?!\d)")
_POINTS = re.compile(r"\s*(?:问题|疑问|建议|意见|要求|需要|想法|原因)")
_JUST_NOW_ENGLISH = re.compile(r"\bjust now\b", re.IGNORECASE)


@dataclass
class _Parts:
    day: date | None = None
    explicit_day: bool = False
    hour: int | None = None
    minute: int = 0
    afternoon: bool = False
    period_start: int | None = None


def extract_time(text: str, now: datetime) -> str | None:
    """The moment the message refers to, as "YYYY-MM-DDTHH:MM" in Shanghai, or None."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=SHANGHAI)
    local_now = now.astimezone(SHANGHAI).replace(second=0, microsecond=0, tzinfo=None)
    moment = _relative(text, local_now)
    if moment is None:
        moment = _calendar(text, local_now)
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M")


def _relative(text: str, now: datetime) -> datetime | None:
    if _HALF_HOUR_AGO.search(text) and not re.search(r"[一1]个半小时", text):
        return now - timedelta(minutes=30)
    english = _AGO_ENGLISH.search(text)
    if english:
        count_word, unit = english[1].lower(), english[2].lower()
        count = (
            0.5 if count_word == "half an" else 1 if count_word in ("a", "an") else int(count_word)
        )
        minutes = count * (1 if unit.startswith("m") else 60)
        return now - timedelta(minutes=round(minutes))
    match = _AGO.search(text)
    if match:
        count_word, extra_half, more, unit = match.groups()
        if more:
            # "一个多小时前": an hour and some, no minute to give.
            return None
        count = 0.5 if count_word == "半" else small_int(count_word)
        if count is not None:
            amount = float(count) + (0.5 if extra_half else 0)
            if unit in ("小时", "钟头", "个钟"):
                return now - timedelta(minutes=round(amount * 60))
            if unit in ("分钟", "分"):
                return now - timedelta(minutes=round(amount))
            # "三天前", "一周前" name a day, not a minute.
            return None
    if _JUST_NOW.search(text) or _JUST_NOW_ENGLISH.search(text):
        return now
    return None


def _calendar(text: str, now: datetime) -> datetime | None:
    parts = _Parts()
    _find_day(text, now, parts)
    _find_period(text, parts)
    _find_clock(text, parts)
    if parts.hour is None:
        # A day, or a part of a day, without a clock time names no minute.
        return None
    day = parts.day or now.date()
    hour, minute = parts.hour, parts.minute
    if hour > 23 or minute > 59:
        return None
    if parts.afternoon and 1 <= hour <= 11:
        hour += 12
    elif parts.afternoon and hour == 12 and parts.period_start == 18:
        hour, day = 0, day + timedelta(days=1)
    if parts.explicit_day:
        return datetime(day.year, day.month, day.day, hour, minute)
    hours = [hour]
    if parts.period_start is None and 1 <= hour <= 12:
        # "8点" with no part of the day: the morning or the evening one, whichever
        # came last.
        hours.append((hour + 12) % 24)
    candidates = [
        datetime(d.year, d.month, d.day, h, minute)
        for d in (day, day - timedelta(days=1))
        for h in hours
    ]
    return max(moment for moment in candidates if moment <= now)


def _find_day(text: str, now: datetime, parts: _Parts) -> None:
    today = now.date()
    match = _FULL_DATE.search(text)
    if match:
        parts.day = _safe_date(int(match[1]), int(match[2]), int(match[3]))
    if parts.day is None:
        match = _MONTH_DAY.search(text) or _SLASH_DATE.search(text) or _SLASH_ONLY.search(text)
        if match:
            month, dom = small_int(match[1]), small_int(match[2])
            if month and dom:
                parts.day = _safe_date(today.year, month, dom)
                if parts.day is not None and parts.day > today:
                    # 12月31号 said on New Year's Day is last year's.
                    parts.day = _safe_date(today.year - 1, month, dom)
    if parts.day is None:
        for word, offset in _DAY_WORDS:
            if word in text:
                parts.day = today + timedelta(days=offset)
                break
    if parts.day is None:
        match = _WEEKDAY.search(text)
        if match:
            parts.day = _weekday(today, match[1], match[2])
    if parts.day is None:
        match = _DAY_OF_MONTH.search(text)
        dom = small_int(match[1]) if match else None
        if dom:
            parts.day = _safe_date(today.year, today.month, dom)
            if parts.day is not None and parts.day > today:
                previous = today.replace(day=1) - timedelta(days=1)
                parts.day = _safe_date(previous.year, previous.month, dom)
    parts.explicit_day = parts.day is not None


def _weekday(today: date, which: str | None, name: str) -> date:
    index = _WEEKDAYS.get(name, int(name) - 1 if name.isdigit() else 0)
    monday = today - timedelta(days=today.weekday())
    if which == "上":
        return monday - timedelta(days=7) + timedelta(days=index)
    if which == "上上":
        return monday - timedelta(days=14) + timedelta(days=index)
    if which in ("这", "本"):
        return monday + timedelta(days=index)
    back = (today.weekday() - index) % 7
    return today - timedelta(days=back)


def _find_period(text: str, parts: _Parts) -> None:
    text = _DURATION.sub("", text)
    for word, start, afternoon in _PERIODS:
        if word in text:
            parts.period_start, parts.afternoon = start, afternoon
            return


def _find_clock(text: str, parts: _Parts) -> None:
    match = _COLON_TIME.search(text)
    if match:
        parts.hour, parts.minute = int(match[1]), int(match[2])
        return
    for match in _CLOCK.finditer(text):
        hour = small_int(match[1])
        if hour is None or hour > 24:
            continue
        # "快一点" / "便宜一点" are not one o'clock: 一点 needs a day or part of the
        # day beside it, or minutes after it, to count as a time.
        context = parts.day is not None or parts.period_start is not None or match[2]
        if match[1] == "一" and not context:
            continue
        if not match[1].isdigit() and not context and _POINTS.match(text, match.end()):
            # "有两点问题" counts points, not hours.
            continue
        if match[3]:
            # "9点多": some time after nine, no minute to give.
            return
        parts.hour = 0 if hour == 24 else hour
        parts.minute = _minute(match[2])
        return


def _minute(word: str | None) -> int:
    if not word:
        return 0
    if word == "半":
        return 30
    if word == "一刻":
        return 15
    if word == "三刻":
        return 45
    return small_int(word) or 0


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
