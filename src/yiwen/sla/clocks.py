"""A ticket's SLA clock: started, paused, resumed and recomputed with the ticket's changes.

Every function here runs inside the transaction that changed the ticket (see
``reactions``), so a ticket never exists without its clock, and the promise the
customer reads on the ticket (``first_response_due_at``, ``due_at``) is always
the one the clock counts down.

Deadlines are kept as moments; what carries over a pause or a change of target
is the business time still remaining (or already used), measured in the
policy's calendar, so a clock paused over a weekend on a working-hours calendar
loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiwen.core.events import emit
from yiwen.sla.calendar import ZERO, BusinessCalendar
from yiwen.sla.models import TicketSla
from yiwen.sla.policies import Targets, load_calendar, targets_for
from yiwen.tickets.models import Ticket

DUE_FIELDS = {
    "first_response": "first_response_due_at",
    "next_response": "next_response_due_at",
    "resolution": "resolution_due_at",
}
TARGET_FIELDS = {
    "first_response": "first_response_target_s",
    "next_response": "next_response_target_s",
    "resolution": "resolution_target_s",
}


def due_of(row: TicketSla, target: str) -> datetime | None:
    value: datetime | None = getattr(row, DUE_FIELDS[target])
    return value


def set_due(row: TicketSla, target: str, moment: datetime | None) -> None:
    setattr(row, DUE_FIELDS[target], moment)


def target_of(row: TicketSla, target: str) -> timedelta:
    return timedelta(seconds=int(getattr(row, TARGET_FIELDS[target]) or 0))


def running_targets(row: TicketSla) -> list[str]:
    return [target for target in DUE_FIELDS if due_of(row, target) is not None]


def start_clock(db: Session, now: datetime, ticket: Ticket) -> TicketSla:
    """A new ticket's clock: first response and resolution start now."""
    targets = targets_for(db, ticket)
    row = TicketSla(ticket_id=ticket.id, paused_seconds=0, warned=[], breached=[], updated_at=now)
    _apply_targets(row, targets)
    row.first_response_due_at = targets.calendar.add(now, targets.first_response)
    row.resolution_due_at = targets.calendar.add(now, targets.resolution)
    db.add(row)
    publish_promise(db, ticket, row)
    if ticket.status == "pending_customer":
        row.paused_since = now
    return row


def _apply_targets(row: TicketSla, targets: Targets) -> None:
    row.policy_id = targets.policy_id
    row.calendar_id = targets.calendar_id
    row.first_response_target_s = int(targets.first_response.total_seconds())
    row.next_response_target_s = int(targets.next_response.total_seconds())
    row.resolution_target_s = int(targets.resolution.total_seconds())


def publish_promise(db: Session, ticket: Ticket, row: TicketSla) -> None:
    """The customer's promised times follow the clock while their target still runs.

    A promise already shown that moves (new priority, a pause on the customer, a
    reopen) is announced with ``ticket.eta_changed``, so the customer hears of it.
    """
    if row.first_response_due_at is not None:
        ticket.first_response_due_at = row.first_response_due_at
    if row.resolution_due_at is not None:
        before = ticket.due_at
        ticket.due_at = row.resolution_due_at
        if before is not None and before != ticket.due_at:
            emit(db, "ticket.eta_changed", ticket_id=ticket.id, due_at=ticket.due_at, before=before)


def recompute_targets(db: Session, now: datetime, ticket: Ticket, row: TicketSla) -> None:
    """New priority or category: same business time already used, new targets.

    A shorter target may already be exhausted; the deadline is then "now" and the
    next sweep records the breach.
    """
    calendar = load_calendar(db, row.calendar_id)
    targets = targets_for(db, ticket)
    counted_until = row.paused_since or now
    used = {
        target: target_of(row, target) - calendar.between(counted_until, due)
        for target in running_targets(row)
        if (due := due_of(row, target)) is not None
    }
    fixed_target = row.resolution_target_s
    _apply_targets(row, targets)
    for target, spent in used.items():
        if target == "resolution" and row.resolution_fixed:
            row.resolution_target_s = fixed_target
            continue
        left = max(ZERO, target_of(row, target) - spent)
        set_due(row, target, targets.calendar.add(counted_until, left))
    publish_promise(db, ticket, row)
    row.updated_at = now


def fix_resolution_due(
    db: Session, now: datetime, ticket: Ticket, row: TicketSla, due_at: datetime
) -> None:
    """Make ``due_at`` the resolution promise, whatever the policy says, for good.

    For deadlines set outside Yiwen (a 12315 or 黑猫投诉 complaint must be
    answered by the platform's date): pauses and priority changes leave it where
    it is. The target becomes the business time from now to the deadline, so
    warnings still fire at the configured fractions of it.
    """
    calendar = load_calendar(db, row.calendar_id)
    row.resolution_fixed = True
    row.resolution_due_at = due_at
    row.resolution_target_s = max(0, int(calendar.between(now, due_at).total_seconds()))
    _forget_warnings(row, "resolution")
    publish_promise(db, ticket, row)
    row.updated_at = now


def pause(row: TicketSla, now: datetime) -> None:
    """Waiting on the customer stops the clock (issue 4, part 3)."""
    if row.paused_since is None:
        row.paused_since = now
        row.updated_at = now


def resume(db: Session, row: TicketSla, now: datetime, ticket: Ticket) -> None:
    """Every running deadline moves out by the business time spent paused."""
    if row.paused_since is None:
        return
    calendar = load_calendar(db, row.calendar_id)
    paused_since = row.paused_since
    for target in running_targets(row):
        if target == "resolution" and row.resolution_fixed:
            continue
        due = due_of(row, target)
        assert due is not None
        set_due(row, target, calendar.add(now, calendar.between(paused_since, due)))
    row.paused_seconds += int(calendar.between(paused_since, now).total_seconds())
    row.paused_since = None
    publish_promise(db, ticket, row)
    row.updated_at = now


def start_next_response(db: Session, row: TicketSla, now: datetime) -> None:
    """A customer message waiting for an answer, once the first response was given."""
    if row.first_response_due_at is not None or row.next_response_due_at is not None:
        return
    calendar = load_calendar(db, row.calendar_id)
    # While paused the clock counts from the pause, so resuming gives the full target.
    counted_from = row.paused_since or now
    row.next_response_due_at = calendar.add(counted_from, target_of(row, "next_response"))
    _forget_warnings(row, "next_response")
    row.updated_at = now


def meet(row: TicketSla, targets: tuple[str, ...], now: datetime) -> None:
    for target in targets:
        set_due(row, target, None)
    row.updated_at = now


def restart_resolution(
    db: Session, row: TicketSla, now: datetime, ticket: Ticket | None = None
) -> None:
    """A reopened ticket owes a new resolution within the full target again.

    A fixed deadline (an external complaint's) stands: it is not moved, and a
    breach already recorded against it is not recorded twice.
    """
    if row.resolution_fixed and ticket is not None and ticket.due_at is not None:
        # The ticket's promise has been the fixed deadline all along (publish_promise).
        row.resolution_due_at = ticket.due_at
        row.paused_since = None
        row.updated_at = now
        return
    calendar = load_calendar(db, row.calendar_id)
    row.resolution_due_at = calendar.add(now, target_of(row, "resolution"))
    row.paused_since = None
    _forget_warnings(row, "resolution")
    row.breached = [target for target in row.breached if target != "resolution"]
    row.updated_at = now


def _forget_warnings(row: TicketSla, target: str) -> None:
    row.warned = [entry for entry in row.warned if not entry.startswith(f"{target}:")]


def warning_key(target: str, fraction: float) -> str:
    return f"{target}:{fraction:g}"


def schedule(
    row: TicketSla, calendar: BusinessCalendar, now: datetime, fractions: list[float]
) -> None:
    """Set when the sweep must look at this clock next: the first warning or deadline ahead.

    A paused or finished clock is never swept (``next_check_at`` NULL), which
    keeps the sweep's index scan to the clocks that can have work.
    """
    dues = [due for target in running_targets(row) if (due := due_of(row, target)) is not None]
    row.earliest_due_at = min(dues) if dues else None
    if row.paused_since is not None or not dues:
        row.next_check_at = None
        return
    moments: list[datetime] = []
    for target in running_targets(row):
        due = due_of(row, target)
        assert due is not None
        moments.append(due)
        total = target_of(row, target)
        left = calendar.between(now, due)
        for fraction in fractions:
            if warning_key(target, fraction) in row.warned:
                continue
            warn_left = total * (1 - fraction)
            moments.append(now if left <= warn_left else calendar.add(now, left - warn_left))
    row.next_check_at = min(moments)
