"""SQL pieces that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, SQLColumnExpression, cast, func, literal_column

from yiwen.core.clock import SHANGHAI

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so on SQLite
# (which has no time zone database) a fixed offset gives the same days.
_OFFSET_HOURS = (
    int((SHANGHAI.utcoffset(datetime(2026, 1, 1)) or timedelta()).total_seconds()) // 3600
)


def local_day(column: SQLColumnExpression[Any], dialect: str) -> ColumnElement[str]:
    """The Asia/Shanghai calendar day of a UTC instant, as ``YYYY-MM-DD`` text."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(SHANGHAI), column), "YYYY-MM-DD")
    return func.date(column, f"{_OFFSET_HOURS:+d} hours")


def seconds_between(
    later: SQLColumnExpression[Any], earlier: SQLColumnExpression[Any], dialect: str
) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def mostly_true(condition: SQLColumnExpression[Any], dialect: str) -> SQLColumnExpression[Any]:
    """Tell SQLite's planner that ``condition`` keeps most rows.

    Without statistics SQLite walks any index it can use; for a condition that
    keeps most of a table (a year of tickets) fetching the rows one by one
    through the index was seven times slower than reading the table straight
    through. PostgreSQL keeps statistics and decides for itself.
    """
    return _likelihood(condition, "0.9", dialect)


def mostly_false(condition: SQLColumnExpression[Any], dialect: str) -> SQLColumnExpression[Any]:
    """Tell SQLite's planner that ``condition`` keeps few rows, so it uses its index
    (rather than, say, the status index that saves it a sort for GROUP BY status)."""
    return _likelihood(condition, "0.05", dialect)


def _likelihood(
    condition: SQLColumnExpression[Any], share: str, dialect: str
) -> SQLColumnExpression[Any]:
    if dialect != "sqlite":
        return condition
    # The share must be a literal, not a bound parameter; untyped, so no "= 1" is added.
    return func.likelihood(condition, literal_column(share))
