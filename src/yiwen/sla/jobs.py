"""The periodic SLA jobs the worker runs: ``sweep_sla`` and ``sweep_closing``.

Both read only the rows whose ``next_check_at`` has come, through its index, so
a sweep over 100k open tickets with nothing due is one empty index range scan.
The worker calls them inside a transaction of their own (``db`` is its session);
on PostgreSQL the rows are claimed with ``FOR UPDATE SKIP LOCKED``, so two
sweeps at once share the work and never act on the same clock twice (SQLite
runs one writer at a time anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.settings import Settings
from yiwen.sla.calendar import BusinessCalendar
from yiwen.sla.closing import check_ticket_closing
from yiwen.sla.compensation import pay_pending_compensations
from yiwen.sla.escalation import check_clock
from yiwen.sla.models import TicketClosing, TicketSla
from yiwen.sla.policies import load_calendar
from yiwen.store.protocol import StoreConnector
from yiwen.tickets.models import Ticket

BATCH = 500
# A sweep handles at most this many batches, so a clock that fails to move on can
# never keep a worker busy forever; the rest waits for the next run.
MAX_BATCHES = 200


@dataclass
class SweepResult:
    checked: int = 0
    compensated: int = 0


def _settings(db: Session) -> Settings:
    return cast(Settings, session_context(db, "settings"))


def sweep_sla(db: Session, clock: Clock, store: StoreConnector) -> SweepResult:
    """Fire due warnings and breaches, then pay the compensations still owed."""
    fractions = _settings(db).sla_warning_fractions
    result = SweepResult()
    for _ in range(MAX_BATCHES):
        done = _sweep_batch(db, clock, fractions)
        result.checked += done
        if done < BATCH:
            break
    result.compensated = pay_pending_compensations(db, clock, store)
    return result


def _sweep_batch(db: Session, clock: Clock, fractions: list[float]) -> int:
    now = clock.now()
    rows = list(
        db.scalars(
            select(TicketSla)
            .where(TicketSla.next_check_at <= now)
            .order_by(TicketSla.next_check_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return 0
    found = db.scalars(select(Ticket).where(Ticket.id.in_([row.ticket_id for row in rows])))
    by_id = {ticket.id: ticket for ticket in found}
    calendars: dict[str | None, BusinessCalendar] = {}
    for row in rows:
        if row.calendar_id not in calendars:
            calendars[row.calendar_id] = load_calendar(db, row.calendar_id)
        check_clock(db, clock, row, by_id[row.ticket_id], calendars[row.calendar_id], fractions)
    return len(rows)


def sweep_closing(db: Session, clock: Clock, store: StoreConnector) -> int:
    """Notice, close or hold the resolved tickets whose time has come; returns how many."""
    settings = _settings(db)
    handled = 0
    for _ in range(MAX_BATCHES):
        rows = list(
            db.scalars(
                select(TicketClosing)
                .where(TicketClosing.next_check_at <= clock.now())
                .order_by(TicketClosing.next_check_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            check_ticket_closing(db, clock, store, settings, row)
        db.flush()
        handled += len(rows)
        if len(rows) < BATCH:
            break
    return handled
