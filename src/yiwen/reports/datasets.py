"""The rows of each export, read in keyset-paginated batches so a big export never
sits in memory: 100k tickets are 100 queries of 1,000 rows each, in one read
transaction (one consistent snapshot on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from yiwen.analytics.figures import Report
from yiwen.auth.models import StaffUser
from yiwen.conversations.models import Conversation, Message
from yiwen.customers.models import Customer
from yiwen.reports.columns import Column, Row, Table
from yiwen.reports.filters import ExportFilter
from yiwen.reports.kpi_table import KPI_COLUMNS, kpi_rows
from yiwen.tickets.models import CsatRating, Ticket, TicketOrder
from yiwen.tickets.taxonomy import CATEGORIES

BATCH = 1000

TICKET_COLUMNS = (
    Column("工单号", width=20),
    Column("状态", width=10),
    Column("问题类型", width=14),
    Column("渠道", width=10),
    Column("优先级", width=8),
    Column("紧急", width=6),
    Column("标题", width=30),
    Column("队列", width=12),
    Column("处理人", width=14),
    Column("顾客", width=16),
    Column("订单号", width=24),
    Column("创建时间", "datetime", 19),
    Column("首次响应时间", "datetime", 19),
    Column("首次响应时长_秒", "int", 12),
    Column("解决时间", "datetime", 19),
    Column("解决时长_秒", "int", 12),
    Column("关闭时间", "datetime", 19),
    Column("首响截止", "datetime", 19),
    Column("解决截止", "datetime", 19),
    Column("解决次数", "int", 8),
    Column("满意度评分", "int", 8),
)

CONVERSATION_COLUMNS = (
    Column("会话ID", width=34),
    Column("渠道", width=10),
    Column("状态", width=10),
    Column("顾客", width=16),
    Column("处理人", width=14),
    Column("消息数", "int", 8),
    Column("创建时间", "datetime", 19),
    Column("最后消息时间", "datetime", 19),
    Column("最后消息", width=40),
)


def _seconds(later: datetime | None, earlier: datetime) -> int | None:
    return None if later is None else round((later - earlier).total_seconds())


def _after(created: Any, row_id: Any, last: tuple[datetime, str] | None) -> list[Any]:
    if last is None:
        return []
    return [or_(created > last[0], and_(created == last[0], row_id > last[1]))]


def _staff_names(db: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    query = select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids))
    return {staff_id: name for staff_id, name in db.execute(query)}


def ticket_table(db: Session, where: ExportFilter) -> Table:
    return Table("工单", TICKET_COLUMNS, _ticket_batches(db, where))


def _ticket_conditions(where: ExportFilter) -> list[ColumnElement[bool]]:
    conditions = [Ticket.created_at >= where.period.start, Ticket.created_at < where.period.end]
    if where.statuses:
        conditions.append(Ticket.status.in_(where.statuses))
    if where.category is not None:
        conditions.append(Ticket.category == where.category)
    if where.channel is not None:
        conditions.append(Ticket.channel == where.channel)
    if where.queue is not None:
        conditions.append(Ticket.queue == where.queue)
    if where.agent_id is not None:
        conditions.append(Ticket.assignee_id == where.agent_id)
    return conditions


def _ticket_batches(db: Session, where: ExportFilter) -> Iterator[list[Row]]:
    conditions = _ticket_conditions(where)
    last: tuple[datetime, str] | None = None
    while True:
        query = (
            select(Ticket, Customer.display_name)
            .join(Customer, Customer.id == Ticket.customer_id)
            .where(*conditions, *_after(Ticket.created_at, Ticket.id, last))
            .order_by(Ticket.created_at, Ticket.id)
            .limit(BATCH)
        )
        found = list(db.execute(query).all())
        if not found:
            return
        tickets = [ticket for ticket, _name in found]
        ids = [t.id for t in tickets]
        orders = _order_nos(db, ids)
        scores = _latest_scores(db, ids)
        names = _staff_names(db, {t.assignee_id for t in tickets if t.assignee_id})
        yield [
            (
                t.number,
                t.status,
                CATEGORIES.get(t.category, (t.category, ""))[0],
                t.channel,
                t.priority,
                "是" if t.urgent else "否",
                t.subject,
                t.queue or "",
                names.get(t.assignee_id or "", ""),
                customer_name or "",
                " ".join(orders.get(t.id, ())),
                t.created_at,
                t.first_response_at,
                _seconds(t.first_response_at, t.created_at),
                t.resolved_at,
                _seconds(t.resolved_at, t.created_at),
                t.closed_at,
                t.first_response_due_at,
                t.due_at,
                t.resolution_round,
                scores.get(t.id),
            )
            for t, customer_name in found
        ]
        last = (tickets[-1].created_at, tickets[-1].id)
        db.expunge_all()  # the batch's objects are written out; keep memory flat


def _order_nos(db: Session, ticket_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    query = (
        select(TicketOrder.ticket_id, TicketOrder.order_no)
        .where(TicketOrder.ticket_id.in_(ticket_ids))
        .order_by(TicketOrder.ticket_id, TicketOrder.added_at)
    )
    for ticket_id, order_no in db.execute(query):
        found.setdefault(ticket_id, []).append(order_no)
    return found


def _latest_scores(db: Session, ticket_ids: list[str]) -> dict[str, int]:
    """The rating of each ticket's latest rated resolution."""
    query = (
        select(CsatRating.ticket_id, CsatRating.score)
        .where(CsatRating.ticket_id.in_(ticket_ids))
        .order_by(CsatRating.ticket_id, CsatRating.resolution_round)
    )
    return {ticket_id: score for ticket_id, score in db.execute(query)}


def conversation_table(db: Session, where: ExportFilter) -> Table:
    return Table("会话", CONVERSATION_COLUMNS, _conversation_batches(db, where))


def _conversation_batches(db: Session, where: ExportFilter) -> Iterator[list[Row]]:
    conditions = [
        Conversation.created_at >= where.period.start,
        Conversation.created_at < where.period.end,
    ]
    if where.statuses:
        conditions.append(Conversation.status.in_(where.statuses))
    if where.channel is not None:
        conditions.append(Conversation.channel == where.channel)
    if where.agent_id is not None:
        conditions.append(Conversation.assignee_id == where.agent_id)
    last: tuple[datetime, str] | None = None
    while True:
        query = (
            select(Conversation, Customer.display_name)
            .join(Customer, Customer.id == Conversation.customer_id)
            .where(*conditions, *_after(Conversation.created_at, Conversation.id, last))
            .order_by(Conversation.created_at, Conversation.id)
            .limit(BATCH)
        )
        found = list(db.execute(query).all())
        if not found:
            return
        conversations = [c for c, _name in found]
        counts = _message_counts(db, [c.id for c in conversations])
        names = _staff_names(db, {c.assignee_id for c in conversations if c.assignee_id})
        yield [
            (
                c.id,
                c.channel,
                c.status,
                customer_name or "",
                names.get(c.assignee_id or "", ""),
                counts.get(c.id, 0),
                c.created_at,
                c.last_message_at,
                c.last_message_preview,
            )
            for c, customer_name in found
        ]
        last = (conversations[-1].created_at, conversations[-1].id)
        db.expunge_all()


def _message_counts(db: Session, conversation_ids: list[str]) -> dict[str, int]:
    """Public and internal messages alike: the work a conversation took."""
    query = (
        select(Message.conversation_id, func.count())
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    return {conversation_id: n for conversation_id, n in db.execute(query)}


def kpi_table(report: Report) -> Table:
    """The KPI report: the totals row, then one row per group."""
    return Table("指标", KPI_COLUMNS, iter([kpi_rows(report)]))
