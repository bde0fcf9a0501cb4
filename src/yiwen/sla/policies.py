"""Which promise applies to a ticket: the most specific active policy for its scope.

A policy is scoped by category × priority × customer tier ("*" = any). Each target
comes from the most specific matching policy that sets it, so "card_invalid:
resolved in 1 h" and "urgent: first response in 10 min" combine on an urgent
card-key ticket. The calendar and the compensation are those of the most
specific match, which is the policy the ticket's clock records.

The seeds' defaults (first response 30 min, urgent 10 min, card-key failures and
missing deliveries resolved in 1 h, refunds in 24 h, everything else in 24 h,
next response 2 h) are seeded by migration 0004; the constants below apply only
if an admin deactivates every catch-all policy, so a ticket is never unpromised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.customers.models import Customer
from yiwen.sla.calendar import ALWAYS_OPEN, BusinessCalendar
from yiwen.sla.models import ANY, SlaCalendar, SlaPolicy
from yiwen.tickets.models import Ticket

FALLBACK_FIRST_RESPONSE = timedelta(minutes=30)
FALLBACK_NEXT_RESPONSE = timedelta(hours=2)
FALLBACK_RESOLUTION = timedelta(hours=24)
CUSTOMER_TIERS = ("standard", "vip")


@dataclass(frozen=True)
class Targets:
    """The promise for one ticket, resolved from the policies."""

    policy_id: str | None
    calendar_id: str | None
    calendar: BusinessCalendar
    first_response: timedelta
    next_response: timedelta
    resolution: timedelta
    compensation_coupon: Decimal | None


def customer_tier(db: Session, customer_id: str) -> str:
    """VIP comes from the customer record (``customers.tier``), which routing also reads."""
    tier = db.scalar(select(Customer.tier).where(Customer.id == customer_id))
    return "vip" if tier == "vip" else "standard"


def specificity(policy: SlaPolicy) -> int:
    """Category outweighs priority, which outweighs tier: a card-key SLA beats an urgent one."""
    return (
        (4 if policy.category != ANY else 0)
        + (2 if policy.priority != ANY else 0)
        + (1 if policy.customer_tier != ANY else 0)
    )


def matching_policies(db: Session, category: str, priority: str, tier: str) -> list[SlaPolicy]:
    """Active policies covering the scope, most specific first."""
    found = db.scalars(
        select(SlaPolicy).where(
            SlaPolicy.is_active.is_(True),
            SlaPolicy.category.in_((category, ANY)),
            SlaPolicy.priority.in_((priority, ANY)),
            SlaPolicy.customer_tier.in_((tier, ANY)),
        )
    )
    return sorted(found, key=specificity, reverse=True)


def calendar_from_row(row: SlaCalendar | None) -> BusinessCalendar:
    if row is None:
        return ALWAYS_OPEN
    if row.kind == "24x7":
        return BusinessCalendar(kind="24x7", timezone=row.timezone)
    return BusinessCalendar(
        kind="working_hours",
        timezone=row.timezone,
        opens_at=time.fromisoformat(row.opens_at),
        closes_at=time.fromisoformat(row.closes_at),
        workdays="every_day" if row.workdays == "every_day" else "cn_statutory",
    )


_CALENDARS = "yiwen_sla_calendars"


def load_calendar(db: Session, calendar_id: str | None) -> BusinessCalendar:
    """A calendar read once per unit of work (a sweep touches hundreds of clocks)."""
    cache: dict[str | None, BusinessCalendar] = db.info.setdefault(_CALENDARS, {})
    if calendar_id not in cache:
        row = db.get(SlaCalendar, calendar_id) if calendar_id else None
        cache[calendar_id] = calendar_from_row(row)
    return cache[calendar_id]


def _minutes(policies: list[SlaPolicy], field: str, fallback: timedelta) -> timedelta:
    for policy in policies:
        value = getattr(policy, field)
        if value is not None:
            return timedelta(minutes=int(value))
    return fallback


def targets_for(db: Session, ticket: Ticket) -> Targets:
    priority = "urgent" if ticket.urgent else ticket.priority
    policies = matching_policies(
        db, ticket.category, priority, customer_tier(db, ticket.customer_id)
    )
    winner = policies[0] if policies else None
    return Targets(
        policy_id=winner.id if winner else None,
        calendar_id=winner.calendar_id if winner else None,
        calendar=load_calendar(db, winner.calendar_id if winner else None),
        first_response=_minutes(policies, "first_response_minutes", FALLBACK_FIRST_RESPONSE),
        next_response=_minutes(policies, "next_response_minutes", FALLBACK_NEXT_RESPONSE),
        resolution=_minutes(policies, "resolution_minutes", FALLBACK_RESOLUTION),
        compensation_coupon=winner.compensation_coupon if winner else None,
    )
