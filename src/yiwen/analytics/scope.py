"""One pass of the KPI queries: the period, one grouping and, for an agent, their own rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, SQLColumnExpression, select
from sqlalchemy.orm import Session

from yiwen.analytics.period import Period
from yiwen.analytics.sql import local_day, mostly_true
from yiwen.tickets.models import Ticket

# The key of the single row a pass without grouping produces (the totals).
TOTAL = "*"
# From about two months on, a period holds so much of the history that reading
# the table beats the timestamp indexes (SQLite; see ``mostly_true``).
LONG_PERIOD = timedelta(days=60)


@dataclass(frozen=True)
class Key:
    """What rows are grouped by; without a column everything is one row keyed ``value``.

    PostgreSQL refuses ``GROUP BY`` a constant, so "one row" is a query without one.
    """

    column: SQLColumnExpression[Any] | None
    value: str | None = TOTAL


@dataclass(frozen=True)
class Scope:
    """What one pass of the queries covers: the period, one grouping, maybe one agent."""

    period: Period
    group_by: str | None
    agent_id: str | None
    now: datetime
    dialect: str

    def key(
        self,
        *,
        day_of: SQLColumnExpression[Any],
        agent: SQLColumnExpression[Any] | None,
        category: SQLColumnExpression[Any] | None = Ticket.category,
        channel: SQLColumnExpression[Any] | None = Ticket.channel,
        queue: SQLColumnExpression[Any] | None = Ticket.queue,
    ) -> Key:
        """The grouping column of one KPI; ``None`` for a dimension it does not have."""
        match self.group_by:
            case "day":
                return Key(local_day(day_of, self.dialect))
            case "agent":
                return Key(agent, None)
            case "category":
                return Key(category, None)
            case "channel":
                return Key(channel, None)
            case "queue":
                return Key(queue, None)
        return Key(None)

    def within(
        self, moment: SQLColumnExpression[Any], agent: SQLColumnExpression[Any] | None
    ) -> list[SQLColumnExpression[Any]]:
        """``moment`` falls in the period (and the row is this agent's, for an agent's view)."""
        where: list[SQLColumnExpression[Any]] = [
            moment >= self.period.start,
            moment < self.period.end,
        ]
        if self.period.last - self.period.first >= LONG_PERIOD:
            where = [mostly_true(condition, self.dialect) for condition in where]
        if self.agent_id is not None and agent is not None:
            where.append(agent == self.agent_id)
        return where


def grouped_rows(
    db: Session,
    key: Key,
    aggregates: Sequence[ColumnElement[Any]],
    where: Sequence[SQLColumnExpression[Any]],
    *,
    source: FromClause | None = None,
) -> list[tuple[Any, ...]]:
    """``(key, *aggregates)`` per group of the rows matching ``where``.

    The first aggregate must be the row count.
    """
    if key.column is None:
        query = select(*aggregates).where(*where)
    else:
        query = select(key.column, *aggregates).where(*where).group_by(key.column)
    if source is not None:
        query = query.select_from(source)
    rows: list[Row[Any]] = list(db.execute(query))
    if key.column is None:
        # Like a GROUP BY, no group at all when no row matched (the count is 0).
        return [(key.value, *row) for row in rows if row[0]]
    return [tuple(row) for row in rows]
