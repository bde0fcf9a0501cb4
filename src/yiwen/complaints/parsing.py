"""Reading what staff type or paste: platform names and deadlines in the forms people use."""

from __future__ import annotations

import re
from datetime import datetime, time

from yiwen.core.clock import SHANGHAI
from yiwen.core.errors import InvalidInput

PLATFORM_ALIASES: dict[str, str] = {
    "12315": "12315",
    "全国12315平台": "12315",
    "heimao": "heimao",
    "黑猫": "heimao",
    "黑猫投诉": "heimao",
    "app_store": "app_store",
    "app store": "app_store",
    "appstore": "app_store",
    "应用商店": "app_store",
    "应用商店评价": "app_store",
    "other": "other",
    "其他": "other",
}
_DATE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：点时]\s*(\d{1,2})?\s*分?(?:\s*[:：]\s*(\d{1,2}))?)?\s*$"
)


def platform_code(value: str) -> str:
    """The platform code for a name as staff write it; unknown names are kept (and refused)."""
    cleaned = value.strip()
    return PLATFORM_ALIASES.get(cleaned.lower(), PLATFORM_ALIASES.get(cleaned, cleaned))


def parse_deadline(value: str) -> datetime | None:
    """A deadline as written: ISO 8601, or ``2026-11-30 18:00`` / ``2026年11月30日`` in Shanghai.

    A date alone means the end of that day (23:59:59 Shanghai time), as the
    platforms' "请于 X 日前处理" does.
    """
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None:
        match = _DATE.match(text)
        if match is None:
            raise InvalidInput("complaint_deadline_invalid", value=text[:40])
        year, month, day, hour, minute, second = match.groups()
        try:
            if hour is None:
                moment = datetime.combine(
                    datetime(int(year), int(month), int(day)).date(), time(23, 59, 59)
                )
            else:
                moment = datetime(
                    int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0)
                )
        except ValueError:
            raise InvalidInput("complaint_deadline_invalid", value=text[:40]) from None
    elif len(text) == 10:  # an ISO date alone: the end of that day
        moment = datetime.combine(moment.date(), time(23, 59, 59))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    try:
        moment.utcoffset()
        return moment
    except OverflowError:
        raise InvalidInput("complaint_deadline_invalid", value=text[:40]) from None
