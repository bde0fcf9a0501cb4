"""The KPI definitions (docs/metrics.md says the same in words) and their computation.

Each KPI is one grouped SQL query over indexed columns of the live tables, run
in a read-only session; every KPI says which instant puts a ticket in a period
(``day_of``) and whom it is credited to (``agent``):

- tickets created: ``created_at``; the assignee.
- first response time: ``first_response_at - created_at`` of tickets first
  answered in the period; the assignee.
- resolution time: ``resolved_at - created_at`` of tickets resolved in the period
  (a reopened ticket counts again, from creation, once it is resolved again); the
  resolver.
- first-contact resolution and reopen rate: the cohort of tickets created in the
  period that have been resolved at least once; the (last) resolver.
- SLA compliance: tickets whose deadline fell in the period and is decided (met,
  or passed); the assignee for the first response, the resolver (else the
  assignee) for the resolution.
- CSAT: ratings given in the period; the agent the rating was credited to.
- backlog: tickets created before the period's end and not resolved by then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, func, join, or_, select
from sqlalchemy.orm import Session

from yiwen.analytics import backlog, bot
from yiwen.analytics.figures import Csat, Figures, Group, Ratio, Report
from yiwen.analytics.labels import group_labels
from yiwen.analytics.percentiles import Spread, spreads
from yiwen.analytics.period import Period
from yiwen.analytics.scope import TOTAL, Scope, grouped_rows
from yiwen.analytics.sql import seconds_between
from yiwen.tickets.models import CsatRating, Ticket, TicketEvent

DONE = ("resolved", "closed")
SATISFIED_SCORE = 4  # 4 and 5 of 5 count as satisfied


def compute_kpis(
    db: Session, *, period: Period, group_by: str | None, agent_id: str | None, now: datetime
) -> Report:
    dialect = db.get_bind().dialect.name
    totals_scope = Scope(period, None, agent_id, now, dialect)
    totals = _figures_by_key(db, totals_scope).get(TOTAL, Figures())
    totals.backlog.by_status = backlog.backlog_by_status(db, totals_scope)
    groups: list[Group] = []
    if group_by is not None:
        by_key = _figures_by_key(db, Scope(period, group_by, agent_id, now, dialect))
        if group_by == "day":
            keys: list[str | None] = [day.isoformat() for day in period.days()]
        else:
            keys = sorted(by_key, key=lambda k: (k is None, k or ""))
        labels = group_labels(db, group_by, keys)
        groups = [Group(k, labels[k], by_key.get(k, Figures())) for k in keys]
    return Report(
        first=period.first,
        last=period.last,
        group_by=group_by,
        agent_id=agent_id,
        generated_at=now,
        totals=totals,
        groups=groups,
    )


def _figures_by_key(db: Session, scope: Scope) -> dict[str | None, Figures]:
    """Every KPI of one pass, gathered per group key."""
    fcr, reopen = _resolution_cohort(db, scope)
    found: dict[str, Iterable[tuple[str | None, object]]] = {
        "tickets_created": _tickets_created(db, scope),
        "first_response_time": _first_response_times(db, scope),
        "resolution_time": _resolution_times(db, scope),
        "first_contact_resolution": fcr,
        "reopen": reopen,
        "sla_first_response": _sla_first_response(db, scope),
        "sla_resolution": _sla_resolution(db, scope),
        "csat": _csat(db, scope),
        "bot_containment": bot.containment(db, scope),
        "backlog": backlog.backlog_counts(db, scope),
    }
    figures: dict[str | None, Figures] = defaultdict(Figures)
    for name, rows in found.items():
        for k, value in rows:
            setattr(figures[k], name, value)
    return figures


def _tickets_created(db: Session, scope: Scope) -> list[tuple[str | None, int]]:
    key = scope.key(day_of=Ticket.created_at, agent=Ticket.assignee_id)
    where = scope.within(Ticket.created_at, Ticket.assignee_id)
    return [(k, n) for k, n in grouped_rows(db, key, [func.count()], where)]


def _first_response_times(db: Session, scope: Scope) -> Iterable[tuple[str | None, Spread]]:
    key = scope.key(day_of=Ticket.first_response_at, agent=Ticket.assignee_id)
    value = seconds_between(Ticket.first_response_at, Ticket.created_at, scope.dialect)
    where = scope.within(Ticket.first_response_at, Ticket.assignee_id)
    return spreads(db, key, value, where).items()


def _resolution_times(db: Session, scope: Scope) -> Iterable[tuple[str | None, Spread]]:
    # resolved_at is cleared on reopen, so it is set exactly on resolved and closed tickets.
    key = scope.key(day_of=Ticket.resolved_at, agent=Ticket.resolved_by_id)
    value = seconds_between(Ticket.resolved_at, Ticket.created_at, scope.dialect)
    where = scope.within(Ticket.resolved_at, Ticket.resolved_by_id)
    return spreads(db, key, value, where).items()


def first_contact_resolved() -> ColumnElement[bool]:
    """Resolved once and for good, by the first handler (or the bot), never transferred.

    Without a transfer the assignee was set at most once, so the first handler is
    the current assignee; a ticket nobody was assigned to is first handled by
    whoever resolved it. A resolution by the bot or the system has no resolver id.
    """
    # Read once from the (kind, ticket_id) index: probing the timeline of every
    # ticket of the cohort instead took most of a year's report.
    transferred = select(TicketEvent.ticket_id).where(TicketEvent.kind == "transferred")
    return and_(
        Ticket.resolution_round == 1,
        Ticket.status.in_(DONE),
        Ticket.id.not_in(transferred),
        or_(
            Ticket.resolved_by_id.is_(None),
            Ticket.assignee_id.is_(None),
            Ticket.resolved_by_id == Ticket.assignee_id,
        ),
    )


def reopened() -> ColumnElement[bool]:
    """Reopened at least once: resolved again after a reopen, or open again right now."""
    return or_(Ticket.resolution_round > 1, Ticket.status.not_in(DONE))


def _resolution_cohort(
    db: Session, scope: Scope
) -> tuple[list[tuple[str | None, Ratio]], list[tuple[str | None, Ratio]]]:
    """FCR and reopen rate of the tickets created in the period and resolved at least once."""
    key = scope.key(day_of=Ticket.created_at, agent=Ticket.resolved_by_id)
    aggregates = [
        func.count(),
        func.sum(case((first_contact_resolved(), 1), else_=0)),
        func.sum(case((reopened(), 1), else_=0)),
    ]
    where = [*scope.within(Ticket.created_at, Ticket.resolved_by_id), Ticket.resolution_round >= 1]
    rows = grouped_rows(db, key, aggregates, where)
    return (
        [(k, Ratio(n, int(fcr or 0))) for k, n, fcr, _again in rows],
        [(k, Ratio(n, int(again or 0))) for k, n, _fcr, again in rows],
    )


def _deadline_ratio(
    db: Session,
    scope: Scope,
    *,
    due: SQLColumnExpression[Any],
    done: SQLColumnExpression[Any],
    agent: SQLColumnExpression[Any],
) -> list[tuple[str | None, Ratio]]:
    """Met deadlines among those that fell in the period and are decided by now.

    A deadline still ahead with the work not done yet is neither met nor missed,
    so it stays out of the denominator until it is one or the other.
    """
    key = scope.key(day_of=due, agent=agent)
    met = and_(done.is_not(None), done <= due)
    aggregates = [func.count(), func.sum(case((met, 1), else_=0))]
    where = [*scope.within(due, agent), or_(done.is_not(None), due <= scope.now)]
    return [(k, Ratio(n, int(m or 0))) for k, n, m in grouped_rows(db, key, aggregates, where)]


def _sla_first_response(db: Session, scope: Scope) -> list[tuple[str | None, Ratio]]:
    return _deadline_ratio(
        db,
        scope,
        due=Ticket.first_response_due_at,
        done=Ticket.first_response_at,
        agent=Ticket.assignee_id,
    )


def _sla_resolution(db: Session, scope: Scope) -> list[tuple[str | None, Ratio]]:
    return _deadline_ratio(
        db,
        scope,
        due=Ticket.due_at,
        done=Ticket.resolved_at,
        agent=func.coalesce(Ticket.resolved_by_id, Ticket.assignee_id),
    )


def _csat(db: Session, scope: Scope) -> list[tuple[str | None, Csat]]:
    key = scope.key(day_of=CsatRating.created_at, agent=CsatRating.agent_id)
    aggregates = [
        func.count(),
        func.sum(CsatRating.score),
        func.sum(case((CsatRating.score >= SATISFIED_SCORE, 1), else_=0)),
    ]
    where = scope.within(CsatRating.created_at, CsatRating.agent_id)
    # The ticket only gives the groups; joining it for the totals cost a probe per rating.
    by_ticket = scope.group_by in ("category", "channel", "queue")
    source = join(CsatRating, Ticket, Ticket.id == CsatRating.ticket_id) if by_ticket else None
    return [
        (k, Csat(n, int(total or 0), int(ok or 0)))
        for k, n, total, ok in grouped_rows(db, key, aggregates, where, source=source)
    ]
