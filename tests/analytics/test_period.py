"""Period parsing: any text is either a day of its own spelling or a clean refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwen.analytics.period import MAX_DAYS, check_period, parse_day
from yiwen.core.clock import SHANGHAI
from yiwen.core.errors import InvalidInput


@given(st.text(max_size=20) | st.dates().map(date.isoformat))
def test_any_text_is_a_day_spelled_exactly_so_or_refused(text: str) -> None:
    try:
        day = parse_day(text, "from")
    except InvalidInput as error:
        assert error.code == "kpi_invalid_date"
    else:
        assert day.isoformat() == text


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 1, 1)),
    st.integers(min_value=0, max_value=MAX_DAYS - 1),
)
def test_a_period_spans_whole_shanghai_days(first: date, extra: int) -> None:
    period = check_period(first, first + timedelta(days=extra))
    assert period.end - period.start == timedelta(days=extra + 1)
    local_start = period.start.astimezone(SHANGHAI)
    assert (local_start.date(), local_start.hour, local_start.minute) == (first, 0, 0)
    assert len(period.days()) == extra + 1


def test_one_day_more_than_the_limit_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_period(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=MAX_DAYS))
    assert refused.value.code == "kpi_range_too_long"
