"""Routes: the staffing plan and shifts for supervisors, the commitment page for everyone."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import AwareDatetime

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import KPI_READ, WORKFORCE_MANAGE
from yiwen.core.clock import as_utc
from yiwen.http.deps import AppClock, AppSettings, DbSession, Store, require_permission
from yiwen.workforce import commitments, shifts
from yiwen.workforce.history import hour_floor
from yiwen.workforce.plan import Overrides, build_plan
from yiwen.workforce.schemas import CommitmentsOut, PlanOut, ShiftIn, ShiftList, ShiftOut

router = APIRouter(prefix="/api/v1/workforce", tags=["workforce"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
ROUTERS = [router, public_router]

Reader = Annotated[StaffUser, Depends(require_permission(KPI_READ))]
Manager = Annotated[StaffUser, Depends(require_permission(WORKFORCE_MANAGE))]
ShiftId = Annotated[str, Path(max_length=32)]


@router.get("/plan")
def read_plan(
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    reader: Reader,
    days: Annotated[int, Query(ge=1, le=28)] = 14,
    service_level: Annotated[float | None, Query(gt=0, lt=1)] = None,
    target_seconds: Annotated[float | None, Query(ge=1, le=604800)] = None,
    handle_seconds: Annotated[float | None, Query(ge=1, le=604800)] = None,
    concurrency: Annotated[float | None, Query(ge=1, le=50)] = None,
) -> PlanOut:
    """Per hour: contacts forecast, agents needed (Erlang C and A), scheduled, rule of thumb."""
    overrides = Overrides(service_level, target_seconds, handle_seconds, concurrency)
    return PlanOut.of(build_plan(db, clock, settings, days=days, overrides=overrides))


def _fields(body: ShiftIn) -> shifts.ShiftFields:
    return shifts.ShiftFields(body.agent_id, body.starts_at, body.ends_at, body.note)


@router.get("/shifts")
def list_shifts(
    db: DbSession,
    clock: AppClock,
    reader: Reader,
    first: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: Annotated[AwareDatetime | None, Query()] = None,
) -> ShiftList:
    """Shifts overlapping the range (default: the next 14 days from this hour)."""
    start = as_utc(first) if first else hour_floor(clock.now())
    end = as_utc(to) if to else start + timedelta(days=14)
    found = shifts.list_shifts(db, start, end)
    return ShiftList(items=[ShiftOut.of(shift, agent) for shift, agent in found])


@router.post("/shifts", status_code=status.HTTP_201_CREATED)
def create_shift(body: ShiftIn, db: DbSession, clock: AppClock, manager: Manager) -> ShiftOut:
    shift = shifts.create_shift(db, clock, _fields(body), actor=Actor.staff(manager))
    return ShiftOut.of(shift, shifts.check_shift_agent(db, shift.agent_id))


@router.put("/shifts/{shift_id}")
def replace_shift(
    shift_id: ShiftId, body: ShiftIn, db: DbSession, clock: AppClock, manager: Manager
) -> ShiftOut:
    shift = shifts.update_shift(db, clock, shift_id, _fields(body), actor=Actor.staff(manager))
    return ShiftOut.of(shift, shifts.check_shift_agent(db, shift.agent_id))


@router.delete("/shifts/{shift_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_shift(shift_id: ShiftId, db: DbSession, clock: AppClock, manager: Manager) -> None:
    shifts.delete_shift(db, clock, shift_id, actor=Actor.staff(manager))


@public_router.get("/commitments")
def read_commitments(
    response: Response, db: DbSession, clock: AppClock, settings: AppSettings, store: Store
) -> CommitmentsOut:
    """Each promise with its measured figures, the channels' status and open announcements.

    Public and anonymous: counts and durations only, cached for a minute.
    """
    response.headers["Cache-Control"] = f"public, max-age={int(commitments.CACHE_SECONDS)}"
    return CommitmentsOut.of(commitments.get_commitments(db, clock, settings, store))
