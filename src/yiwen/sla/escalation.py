"""What a due clock sets off: warnings before a deadline, and on breach escalation and
compensation ("escalation instead of silence, compensation when a promise is broken").

Warnings go to the assignee and the supervisors through the ``sla.warning`` event
(notify turns it into messages), once per fraction per target. A breach is
recorded, escalates the ticket once (priority one step up, then tier L2, or the
supervisor when it already is L2) and, for the resolution target, records the
compensation the policy promises.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.core.clock import Clock
from yiwen.core.events import emit
from yiwen.sla.calendar import BusinessCalendar
from yiwen.sla.clocks import due_of, running_targets, schedule, set_due, target_of, warning_key
from yiwen.sla.compensation import owe_compensation
from yiwen.sla.models import SlaBreach, TicketSla
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}
SENIOR_TIER = "L2"


def check_clock(
    db: Session,
    clock: Clock,
    row: TicketSla,
    ticket: Ticket,
    calendar: BusinessCalendar,
    fractions: list[float],
) -> None:
    """Fire what is due on one clock, then schedule its next check."""
    now = clock.now()
    for target in running_targets(row):
        due = due_of(row, target)
        if due is None:  # met by an escalation's recompute earlier in this loop
            continue
        if now >= due:
            record_breach(db, clock, row, ticket, target, due)
            continue
        left = calendar.between(now, due)
        total = target_of(row, target)
        for fraction in sorted(fractions):
            key = warning_key(target, fraction)
            if key in row.warned or left > total * (1 - fraction):
                continue
            row.warned = [*row.warned, key]
            emit(
                db,
                "sla.warning",
                ticket_id=ticket.id,
                target=target,
                fraction=fraction,
                due_at=due.isoformat(),
                assignee_id=ticket.assignee_id,
            )
    row.updated_at = now
    schedule(row, calendar, now, fractions)


def record_breach(
    db: Session, clock: Clock, row: TicketSla, ticket: Ticket, target: str, due: datetime
) -> None:
    now = clock.now()
    set_due(row, target, None)
    row.breached = [*row.breached, target]
    db.add(
        SlaBreach(
            ticket_id=ticket.id, target=target, policy_id=row.policy_id, due_at=due, breached_at=now
        )
    )
    emit(
        db,
        "sla.breached",
        ticket_id=ticket.id,
        target=target,
        due_at=due.isoformat(),
        assignee_id=ticket.assignee_id,
    )
    # The first breach's timeline line is the escalation's; later ones get their own.
    if row.escalated_at is None:
        escalate(db, clock, row, ticket, target, due)
    else:
        tickets.add_event(
            db,
            clock,
            ticket,
            "sla_breached",
            Actor.system(),
            data={"target": target, "due_at": due.isoformat()},
        )
    if target == "resolution":
        owe_compensation(db, clock, row, ticket)


def first_supervisor(db: Session) -> StaffUser | None:
    return db.scalar(
        select(StaffUser)
        .where(StaffUser.role == "supervisor", StaffUser.is_active.is_(True))
        .order_by(StaffUser.created_at, StaffUser.id)
        .limit(1)
    )


def escalate(
    db: Session, clock: Clock, row: TicketSla, ticket: Ticket, target: str, due: datetime
) -> None:
    """Once per ticket: priority one step up, then to L2, or to a supervisor from L2."""
    actor = Actor.system()
    row.escalated_at = clock.now()
    before = {"priority": ticket.priority, "tier": ticket.tier, "assignee_id": ticket.assignee_id}
    already_senior = ticket.tier == SENIOR_TIER
    # The tier moves first, so routing sees it when it reacts to the priority change.
    ticket.tier = SENIOR_TIER
    tickets.update_fields(db, clock, ticket, actor=actor, priority=PRIORITY_UP[ticket.priority])
    if already_senior:
        supervisor = first_supervisor(db)
        if supervisor is not None:
            tickets.assign_ticket(
                db,
                clock,
                ticket,
                assignee_id=supervisor.id,
                assignee_name=supervisor.display_name,
                actor=actor,
                note="",
            )
    after = {"priority": ticket.priority, "tier": ticket.tier, "assignee_id": ticket.assignee_id}
    tickets.add_event(
        db,
        clock,
        ticket,
        "sla_escalated",
        actor,
        data={"target": target, "due_at": due.isoformat(), **after},
    )
    record_audit(
        db,
        clock,
        actor=actor,
        action="sla.escalate",
        target_type="ticket",
        target_id=ticket.id,
        before=before,
        after={"target": target, **after},
    )
    emit(db, "sla.escalated", ticket_id=ticket.id, target=target, **after)
