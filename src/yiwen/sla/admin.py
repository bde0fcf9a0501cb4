"""Admins editing SLA policies and business calendars: validated, audited, never half-written.

Changes apply to tickets opened (or re-prioritised) afterwards; a running
clock keeps the promise already made to its customer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.sla import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.sla.calendar import is_cn_workday
from yiwen.sla.models import ANY, SlaCalendar, SlaPolicy
from yiwen.sla.policies import (
    CUSTOMER_TIERS,
    FALLBACK_FIRST_RESPONSE,
    FALLBACK_NEXT_RESPONSE,
    FALLBACK_RESOLUTION,
    calendar_from_row,
    matching_policies,
)
from yiwen.tickets.taxonomy import CATEGORIES, PRIORITIES, initial_priority

# A calendar preview covers two months at most: enough to see the next holiday.
MAX_PREVIEW_DAYS = 62


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


@dataclass(frozen=True)
class CategoryPromise:
    """What a new, non-urgent ticket of a category from a standard customer is promised."""

    category: str
    priority: str
    policy_id: str | None
    policy_name: str | None
    calendar_id: str | None
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int


def _target(policies: list[SlaPolicy], field: str, fallback: timedelta) -> int:
    for policy in policies:
        value = getattr(policy, field)
        if value is not None:
            return int(value)
    return int(fallback.total_seconds() // 60)


def category_promises(db: Session) -> list[CategoryPromise]:
    """Each category at the priority it opens with, resolved as ``policies.targets_for`` does."""
    promises = []
    for category in CATEGORIES:
        priority = initial_priority(category, urgent=False)
        policies = matching_policies(db, category, priority, "standard")
        winner = policies[0] if policies else None
        promises.append(
            CategoryPromise(
                category=category,
                priority=priority,
                policy_id=winner.id if winner else None,
                policy_name=winner.name if winner else None,
                calendar_id=winner.calendar_id if winner else None,
                first_response_minutes=_target(
                    policies, "first_response_minutes", FALLBACK_FIRST_RESPONSE
                ),
                next_response_minutes=_target(
                    policies, "next_response_minutes", FALLBACK_NEXT_RESPONSE
                ),
                resolution_minutes=_target(policies, "resolution_minutes", FALLBACK_RESOLUTION),
            )
        )
    return promises


@dataclass(frozen=True)
class CalendarDay:
    """One local day of a calendar: open or not, and why (statutory holiday, 调休, weekend)."""

    day: date
    open: bool
    opens_at: str | None
    closes_at: str | None
    reason: str
    holiday: str | None


def calendar_days(db: Session, calendar_id: str, start: date, days: int) -> list[CalendarDay]:
    """The open hours of each day from ``start``, so an admin sees holidays before they bite."""
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise InvalidInput("sla_calendar_preview_range", max_days=MAX_PREVIEW_DAYS)
    row = get_calendar(db, calendar_id)
    calendar = calendar_from_row(row)
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if calendar.kind == "24x7":
            result.append(CalendarDay(day, True, "00:00", "24:00", "always_open", None))
            continue
        period = calendar.open_period(day)
        result.append(
            CalendarDay(
                day,
                period is not None,
                row.opens_at if period else None,
                row.closes_at if period else None,
                _day_reason(day, calendar.workdays),
                _holiday_name(day) if calendar.workdays == "cn_statutory" else None,
            )
        )
    return result


def _day_reason(day: date, workdays: str) -> str:
    weekend = day.weekday() >= 5
    if workdays == "every_day":
        return "every_day"
    if is_cn_workday(day):
        return "makeup_workday" if weekend else "workday"
    return "weekend" if weekend else "holiday"


def _holiday_name(day: date) -> str | None:
    """The festival a day off or a make-up workday belongs to (English name, as published)."""
    try:
        name = chinese_calendar.get_holiday_detail(day)[1]
    except NotImplementedError:
        return None
    return str(name) if name else None
