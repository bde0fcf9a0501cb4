"""Exact percentiles: median and p90 by the nearest-rank method.

The p-th percentile of n sorted values is the value at rank ceil(p * n)
(1-based): the median of 4 values is the 2nd, the p90 of 10 values the 9th.
It is always a value that occurred, with no interpolation. PostgreSQL computes
it in the query (``percentile_disc``); SQLite has no such aggregate, so its
values are read (one float and a short key per row) and ranked here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from yiwen.analytics.scope import Key, grouped_rows


@dataclass(frozen=True)
class Spread:
    """How many values there were and their median and p90 (nearest rank), in seconds."""

    n: int = 0
    median_seconds: int | None = None
    p90_seconds: int | None = None


def spreads(
    db: Session,
    key: Key,
    value: SQLColumnExpression[Any],
    where: Sequence[SQLColumnExpression[Any]],
) -> dict[str | None, Spread]:
    """Median and p90 of ``value`` per key over the rows matching ``where``."""
    where = [*where, value.is_not(None)]
    if db.get_bind().dialect.name == "postgresql":
        # percentile_disc(p) is the first value whose cumulative share reaches p:
        # exactly the nearest rank.
        aggregates = [
            func.count(),
            func.percentile_disc(0.5).within_group(value),
            func.percentile_disc(0.9).within_group(value),
        ]
        return {
            k: Spread(n, round(median), round(p90))
            for k, n, median, p90 in grouped_rows(db, key, aggregates, where)
        }
    return _streamed_spreads(db, key, value, where)


def _streamed_spreads(
    db: Session,
    key: Key,
    value: SQLColumnExpression[Any],
    where: Sequence[SQLColumnExpression[Any]],
) -> dict[str | None, Spread]:
    """SQLite's window functions (row_number over a partition) took five times
    longer than reading the values and sorting them here."""
    columns = [key.column] if key.column is not None else []
    by_key: dict[str | None, list[float]] = defaultdict(list)
    for row in db.execute(select(*columns, value).where(*where)):
        by_key[row[0] if key.column is not None else key.value].append(row[-1])
    found = {}
    for k, values in by_key.items():
        values.sort()
        n = len(values)
        found[k] = Spread(
            n, round(values[nearest_rank(0.5, n) - 1]), round(values[nearest_rank(0.9, n) - 1])
        )
    return found


def nearest_rank(fraction: float, n: int) -> int:
    """ceil(fraction * n) for fractions in tenths, in integers (no float rounding)."""
    tenths = round(fraction * 10)
    return (tenths * n + 9) // 10
