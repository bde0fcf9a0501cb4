"""Admins editing SLA policies and business calendars: validated, audited, never half-written.

Changes apply to tickets opened (or re-prioritised) afterwards; a running
clock keeps the promise already made to its customer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.sla import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.sla.models import ANY, SlaCalendar, SlaPolicy
from yiwen.sla.policies import CUSTOMER_TIERS
from yiwen.tickets.taxonomy import CATEGORIES, PRIORITIES


@dataclass
class PolicyFields:
    name: str
    category: str
    priority: str
    customer_tier: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    calendar_id: str
    compensation_coupon: Decimal | None
    is_active: bool


@dataclass
class CalendarFields:
    name: str
    kind: str
    timezone: str
    opens_at: str
    closes_at: str
    workdays: str


def list_policies(db: Session) -> list[SlaPolicy]:
    return list(
        db.scalars(
            select(SlaPolicy).order_by(
                SlaPolicy.category, SlaPolicy.priority, SlaPolicy.customer_tier
            )
        )
    )


def list_calendars(db: Session) -> list[SlaCalendar]:
    return list(db.scalars(select(SlaCalendar).order_by(SlaCalendar.name)))


def get_policy(db: Session, policy_id: str) -> SlaPolicy:
    policy = db.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound("sla_policy_not_found")
    return policy


def get_calendar(db: Session, calendar_id: str) -> SlaCalendar:
    calendar = db.get(SlaCalendar, calendar_id)
    if calendar is None:
        raise NotFound("sla_calendar_not_found")
    return calendar


def check_policy(db: Session, values: PolicyFields) -> None:
    if values.category != ANY and values.category not in CATEGORIES:
        raise InvalidInput("unknown_category", category=values.category)
    if values.priority != ANY and values.priority not in PRIORITIES:
        raise InvalidInput("unknown_priority", priority=values.priority)
    if values.customer_tier != ANY and values.customer_tier not in CUSTOMER_TIERS:
        raise InvalidInput("invalid_request", detail="customer_tier")
    targets = (
        values.first_response_minutes,
        values.next_response_minutes,
        values.resolution_minutes,
    )
    catch_all = (values.category, values.priority, values.customer_tier) == (ANY, ANY, ANY)
    if catch_all and None in targets:
        raise InvalidInput("sla_catch_all_needs_targets")
    if all(target is None for target in targets) and not values.compensation_coupon:
        raise InvalidInput("sla_policy_empty")
    get_calendar(db, values.calendar_id)


def check_calendar(values: CalendarFields) -> None:
    try:
        ZoneInfo(values.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("sla_calendar_timezone_invalid", timezone=values.timezone) from None
    try:
        opens, closes = time.fromisoformat(values.opens_at), time.fromisoformat(values.closes_at)
    except ValueError:
        raise InvalidInput("sla_calendar_hours_invalid") from None
    if opens >= closes:
        raise InvalidInput("sla_calendar_hours_invalid")


def _snapshot(row: SlaPolicy | SlaCalendar, names: list[str]) -> dict[str, object]:
    return {name: getattr(row, name) for name in names}


def _flush_or_conflict(db: Session, code: str) -> None:
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise Conflict(code) from None


def _policy_scope_taken(db: Session, values: PolicyFields, own_id: str | None) -> bool:
    query = select(func.count()).where(
        SlaPolicy.category == values.category,
        SlaPolicy.priority == values.priority,
        SlaPolicy.customer_tier == values.customer_tier,
    )
    if own_id is not None:
        query = query.where(SlaPolicy.id != own_id)
    return bool(db.scalar(query))


def save_policy(
    db: Session, clock: Clock, values: PolicyFields, *, actor: Actor, policy_id: str | None = None
) -> SlaPolicy:
    """Create a policy, or replace an existing one's fields (``policy_id``)."""
    check_policy(db, values)
    if _policy_scope_taken(db, values, policy_id):
        raise Conflict("sla_policy_scope_taken")
    names = [f.name for f in fields(PolicyFields)]
    now = clock.now()
    if policy_id is None:
        policy = SlaPolicy(created_at=now, updated_at=now)
        before = None
    else:
        policy = get_policy(db, policy_id)
        before = _snapshot(policy, names)
    for name in names:
        setattr(policy, name, getattr(values, name))
    policy.updated_at = now
    db.add(policy)
    _flush_or_conflict(db, "sla_policy_scope_taken")
    record_audit(
        db,
        clock,
        actor=actor,
        action="sla.policy.create" if before is None else "sla.policy.update",
        target_type="sla_policy",
        target_id=policy.id,
        before=before,
        after=_snapshot(policy, names),
    )
    return policy


def delete_policy(db: Session, clock: Clock, policy_id: str, *, actor: Actor) -> None:
    policy = get_policy(db, policy_id)
    before = _snapshot(policy, [f.name for f in fields(PolicyFields)])
    db.delete(policy)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="sla.policy.delete",
        target_type="sla_policy",
        target_id=policy_id,
        before=before,
    )


def save_calendar(
    db: Session,
    clock: Clock,
    values: CalendarFields,
    *,
    actor: Actor,
    calendar_id: str | None = None,
) -> SlaCalendar:
    check_calendar(values)
    names = [f.name for f in fields(CalendarFields)]
    now = clock.now()
    if calendar_id is None:
        calendar = SlaCalendar(created_at=now, updated_at=now)
        before = None
    else:
        calendar = get_calendar(db, calendar_id)
        before = _snapshot(calendar, names)
    for name in names:
        setattr(calendar, name, getattr(values, name))
    calendar.updated_at = now
    db.add(calendar)
    _flush_or_conflict(db, "sla_calendar_name_taken")
    record_audit(
        db,
        clock,
        actor=actor,
        action="sla.calendar.create" if before is None else "sla.calendar.update",
        target_type="sla_calendar",
        target_id=calendar.id,
        before=before,
        after=_snapshot(calendar, names),
    )
    return calendar
