"""Shifts: who is scheduled when. Validated whole before anything is written, and audited.

A shift belongs to an active staff member who works tickets, ends after it
starts, lasts at most ``MAX_SHIFT`` (a double shift, not a week), lies within
``PLANNING_WINDOW`` of today, and never overlaps another shift of the same agent
(two rows covering one hour would count the agent twice in the plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.core.clock import Clock, as_utc, to_local
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.routing.presence import works_tickets
from yiwen.workforce import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.workforce.models import Shift

MAX_SHIFT = timedelta(hours=16)
PLANNING_WINDOW = timedelta(days=366)
MAX_LIST_RANGE = timedelta(days=62)


@dataclass(frozen=True)
class ShiftFields:
    agent_id: str
    starts_at: datetime
    ends_at: datetime
    note: str = ""


def list_shifts(db: Session, start: datetime, end: datetime) -> list[tuple[Shift, StaffUser]]:
    """Shifts overlapping ``start``–``end``, in order, with their agents."""
    if end < start:
        raise InvalidInput("workforce_range_reversed")
    if end - start > MAX_LIST_RANGE:
        raise InvalidInput("workforce_range_too_long", days=MAX_LIST_RANGE.days)
    rows = db.execute(
        select(Shift, StaffUser)
        .join(StaffUser, StaffUser.id == Shift.agent_id)
        .where(Shift.starts_at < end, Shift.ends_at > start)
        .order_by(Shift.starts_at, StaffUser.username)
    ).all()
    return [(shift, agent) for shift, agent in rows]


def get_shift(db: Session, shift_id: str) -> Shift:
    shift = db.get(Shift, shift_id)
    if shift is None:
        raise NotFound("workforce_shift_not_found")
    return shift


def check_shift_agent(db: Session, agent_id: str) -> StaffUser:
    """Shifts are for active staff who work tickets."""
    agent = db.get(StaffUser, agent_id)
    if agent is None or not works_tickets(agent):
        raise InvalidInput("workforce_shift_agent_unknown")
    return agent


def check_shift(
    db: Session, clock: Clock, fields: ShiftFields, *, replacing: str | None = None
) -> StaffUser:
    agent = check_shift_agent(db, fields.agent_id)
    starts, ends = as_utc(fields.starts_at), as_utc(fields.ends_at)
    if ends <= starts:
        raise InvalidInput("workforce_shift_reversed")
    if ends - starts > MAX_SHIFT:
        raise InvalidInput("workforce_shift_too_long", hours=int(MAX_SHIFT.total_seconds() // 3600))
    now = clock.now()
    if starts < now - PLANNING_WINDOW or ends > now + PLANNING_WINDOW:
        raise InvalidInput("workforce_shift_too_far", days=PLANNING_WINDOW.days)
    overlapping = select(Shift).where(
        Shift.agent_id == agent.id, Shift.starts_at < ends, Shift.ends_at > starts
    )
    if replacing is not None:
        overlapping = overlapping.where(Shift.id != replacing)
    clash = db.scalars(overlapping.limit(1)).first()
    if clash is not None:
        raise InvalidInput(
            "workforce_shift_overlap",
            agent=agent.display_name,
            start=to_local(clash.starts_at).strftime("%m-%d %H:%M"),
        )
    return agent


def create_shift(db: Session, clock: Clock, fields: ShiftFields, *, actor: Actor) -> Shift:
    check_shift(db, clock, fields)
    now = clock.now()
    shift = Shift(
        agent_id=fields.agent_id,
        starts_at=as_utc(fields.starts_at),
        ends_at=as_utc(fields.ends_at),
        note=fields.note.strip(),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(shift)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="workforce.shift.create",
        target_type="shift",
        target_id=shift.id,
        after=_audited(shift),
    )
    return shift


def update_shift(
    db: Session, clock: Clock, shift_id: str, fields: ShiftFields, *, actor: Actor
) -> Shift:
    shift = get_shift(db, shift_id)
    check_shift(db, clock, fields, replacing=shift.id)
    before = _audited(shift)
    shift.agent_id = fields.agent_id
    shift.starts_at = as_utc(fields.starts_at)
    shift.ends_at = as_utc(fields.ends_at)
    shift.note = fields.note.strip()
    shift.updated_at = clock.now()
    after = _audited(shift)
    if after != before:
        record_audit(
            db,
            clock,
            actor=actor,
            action="workforce.shift.update",
            target_type="shift",
            target_id=shift.id,
            before=before,
            after=after,
        )
    return shift


def delete_shift(db: Session, clock: Clock, shift_id: str, *, actor: Actor) -> None:
    shift = get_shift(db, shift_id)
    record_audit(
        db,
        clock,
        actor=actor,
        action="workforce.shift.delete",
        target_type="shift",
        target_id=shift.id,
        before=_audited(shift),
    )
    db.delete(shift)


def _audited(shift: Shift) -> dict[str, object]:
    return {
        "agent_id": shift.agent_id,
        "starts_at": as_utc(shift.starts_at).isoformat(),
        "ends_at": as_utc(shift.ends_at).isoformat(),
        "note": shift.note,
    }
