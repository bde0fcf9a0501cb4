"""Routes: SLA policies and calendars for admins, and the customer confirming a resolution."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.core.clock import SHANGHAI
from yiwen.core.i18n import pick_language
from yiwen.http.deps import (
    AppClock,
    AppSettings,
    CurrentCustomer,
    DbSession,
    Store,
    require_permission,
)
from yiwen.sla import admin, closing
from yiwen.sla.schemas import (
    CalendarDayOut,
    CalendarIn,
    CalendarList,
    CalendarOut,
    CategoryPromiseOut,
    PolicyIn,
    PolicyList,
    PolicyOut,
)
from yiwen.tickets import intake
from yiwen.tickets.schemas import TicketPublic
from yiwen.tickets.views import public_view

SLA_MANAGE = "sla.manage"
router = APIRouter(prefix="/api/v1/admin/sla", tags=["sla"])
customer_router = APIRouter(prefix="/api/v1/customer", tags=["customer"])
ROUTERS = [router, customer_router]

SlaManager = Annotated[StaffUser, Depends(require_permission(SLA_MANAGE))]
ItemId = Annotated[str, Path(max_length=32)]


def _policy_fields(body: PolicyIn) -> admin.PolicyFields:
    return admin.PolicyFields(**{f.name: getattr(body, f.name) for f in fields(admin.PolicyFields)})


def _calendar_fields(body: CalendarIn) -> admin.CalendarFields:
    return admin.CalendarFields(
        **{f.name: getattr(body, f.name) for f in fields(admin.CalendarFields)}
    )


@router.get("/policies")
def list_policies(db: DbSession, manager: SlaManager) -> PolicyList:
    return PolicyList(items=[PolicyOut.of(p) for p in admin.list_policies(db)])


@router.post("/policies", status_code=status.HTTP_201_CREATED)
def create_policy(body: PolicyIn, db: DbSession, clock: AppClock, manager: SlaManager) -> PolicyOut:
    policy = admin.save_policy(db, clock, _policy_fields(body), actor=Actor.staff(manager))
    return PolicyOut.of(policy)


@router.put("/policies/{policy_id}")
def replace_policy(
    policy_id: ItemId, body: PolicyIn, db: DbSession, clock: AppClock, manager: SlaManager
) -> PolicyOut:
    policy = admin.save_policy(
        db, clock, _policy_fields(body), actor=Actor.staff(manager), policy_id=policy_id
    )
    return PolicyOut.of(policy)


@router.delete("/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_policy(policy_id: ItemId, db: DbSession, clock: AppClock, manager: SlaManager) -> None:
    admin.delete_policy(db, clock, policy_id, actor=Actor.staff(manager))


@router.get("/categories")
def list_category_promises(db: DbSession, manager: SlaManager) -> list[CategoryPromiseOut]:
    """Per category, the policy and targets a new ticket gets (what the admin screens show)."""
    return [CategoryPromiseOut.model_validate(p) for p in admin.category_promises(db)]


@router.get("/calendars/{calendar_id}/days")
def preview_calendar(
    calendar_id: ItemId,
    db: DbSession,
    clock: AppClock,
    manager: SlaManager,
    start: date | None = None,
    days: Annotated[int, Query(ge=1, le=admin.MAX_PREVIEW_DAYS)] = 31,
) -> list[CalendarDayOut]:
    """Which days the calendar opens, from ``start`` (default: today in Beijing)."""
    first = start or clock.now().astimezone(SHANGHAI).date()
    return [
        CalendarDayOut.model_validate(d) for d in admin.calendar_days(db, calendar_id, first, days)
    ]


@router.get("/calendars")
def list_calendars(db: DbSession, manager: SlaManager) -> CalendarList:
    return CalendarList(items=[CalendarOut.of(c) for c in admin.list_calendars(db)])


@router.post("/calendars", status_code=status.HTTP_201_CREATED)
def create_calendar(
    body: CalendarIn, db: DbSession, clock: AppClock, manager: SlaManager
) -> CalendarOut:
    calendar = admin.save_calendar(db, clock, _calendar_fields(body), actor=Actor.staff(manager))
    return CalendarOut.of(calendar)


@router.put("/calendars/{calendar_id}")
def replace_calendar(
    calendar_id: ItemId, body: CalendarIn, db: DbSession, clock: AppClock, manager: SlaManager
) -> CalendarOut:
    calendar = admin.save_calendar(
        db, clock, _calendar_fields(body), actor=Actor.staff(manager), calendar_id=calendar_id
    )
    return CalendarOut.of(calendar)


@customer_router.post("/tickets/{number}/confirm")
def confirm_resolution(
    number: Annotated[str, Path(max_length=32)],
    request: Request,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    who: CurrentCustomer,
) -> TicketPublic:
    """The customer confirms the problem is solved; the ticket closes unless money is owed."""
    ticket = intake.get_ticket_for(db, who, number)
    closing.confirm_by_customer(
        db, clock, store, settings, ticket, actor=Actor.customer(who.customer_id)
    )
    language = pick_language(request.headers.get("accept-language"))
    return TicketPublic.model_validate(public_view(db, ticket, language))
