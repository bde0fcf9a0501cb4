"""The ticket lists of the console: the inbox views and a customer's tickets.

Every view is newest activity first and keyset-paginated on ``(updated_at, id)``,
and every one must cost the same at a million tickets as at ten thousand
(issue 9: no more than 2×). An index on ``(lead, status, updated_at, id)``
returns one status in order, but a view of several statuses (all open ones, or
every status of an agent's tickets) made the database fetch all of them and
sort: thousands of rows for a busy agent. So such a view asks for the first
page of each status separately, each one a short walk down its index, and
merges those few rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVarTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import OPEN_STATUSES, STATUSES

Row = TypeVarTuple("Row")


@dataclass(frozen=True)
class TicketFilter:
    assignee_id: str | None = None
    unassigned: bool = False
    statuses: tuple[str, ...] = ()
    category: str | None = None
    priority: str | None = None
    queue: str | None = None
    urgent: bool | None = None
    customer_id: str | None = None
    open_only: bool = False

    def chosen_statuses(self) -> tuple[str, ...]:
        return self.statuses or (OPEN_STATUSES if self.open_only else ())

    def has_index_lead(self) -> bool:
        """Filtered on a column that leads a ``(column, status, updated_at, id)`` index."""
        return (
            self.assignee_id is not None
            or self.unassigned
            or self.category is not None
            or self.queue is not None
            or self.urgent is True
        )


# Equality filters: the TicketFilter field and the column it compares.
_EQUALS = {
    "assignee_id": Ticket.assignee_id,
    "category": Ticket.category,
    "priority": Ticket.priority,
    "queue": Ticket.queue,
    "customer_id": Ticket.customer_id,
}


@dataclass(frozen=True)
class _Shape:
    """What a list's statement depends on besides its parameter values.

    Building the merged statement took longer than running it (a few ms of
    SQLAlchemy constructs), so each shape is built once and only the values change.
    """

    equal: tuple[str, ...]
    unassigned: bool
    urgent: bool | None
    statuses: tuple[str, ...]
    after_cursor: bool
    has_index_lead: bool


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_EQUALS[name] == bindparam(name) for name in shape.equal]
    if shape.unassigned:
        where.append(Ticket.assignee_id.is_(None))
    if shape.urgent is not None:
        where.append(Ticket.urgent.is_(shape.urgent))
    if shape.after_cursor:
        moment: BindParameter[datetime] = bindparam("moment")
        key: BindParameter[str] = bindparam("key")
        where.append(
            or_(Ticket.updated_at < moment, and_(Ticket.updated_at == moment, Ticket.id < key))
        )
    return where


def _newest_first(query: Select[*Row]) -> Select[*Row]:
    return query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(
        bindparam("size", type_=Integer)
    )


@lru_cache(maxsize=512)
def _page_statement(shape: _Shape) -> Select[Any]:
    where = _conditions(shape)
    statuses = shape.statuses
    if "customer_id" in shape.equal or not (statuses or shape.has_index_lead):
        # A customer has a handful of tickets; no filter at all walks (updated_at, id).
        if statuses:
            where.append(Ticket.status.in_(statuses))
        return _newest_first(select(Ticket).where(*where))
    if len(statuses) == 1:
        return _newest_first(select(Ticket).where(*where, Ticket.status == statuses[0]))
    firsts = [
        _newest_first(
            select(Ticket.id, Ticket.updated_at).where(*where, Ticket.status == status)
        ).subquery()
        for status in statuses or STATUSES
    ]
    merged = union_all(*(select(first.c.id, first.c.updated_at) for first in firsts)).subquery()
    page = (
        select(merged.c.id)
        .order_by(merged.c.updated_at.desc(), merged.c.id.desc())
        .limit(bindparam("size", type_=Integer))
        .subquery()
    )
    return _newest_first(select(Ticket).join(page, Ticket.id == page.c.id))


def list_tickets(
    db: Session, filters: TicketFilter, *, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Newest activity first, keyset-paginated on (updated_at, id) so deep pages stay fast."""
    values: dict[str, object] = {
        name: getattr(filters, name) for name in _EQUALS if getattr(filters, name) is not None
    }
    if cursor:
        values["moment"], values["key"] = decode_cursor(cursor)
    shape = _Shape(
        equal=tuple(name for name in _EQUALS if name in values),
        unassigned=filters.unassigned,
        urgent=filters.urgent,
        statuses=filters.chosen_statuses(),
        after_cursor=bool(cursor),
        has_index_lead=filters.has_index_lead(),
    )
    statement = _page_statement(shape)
    rows: list[Ticket] = list(db.scalars(statement, {**values, "size": limit + 1}))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].updated_at, rows[-1].id)
    return rows, next_cursor


def recent_tickets_of_customer(
    db: Session, customer_id: str, *, since: datetime | None = None, limit: int = 20
) -> list[Ticket]:
    query = select(Ticket).where(Ticket.customer_id == customer_id)
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    return list(db.scalars(query.order_by(Ticket.created_at.desc()).limit(limit)))
