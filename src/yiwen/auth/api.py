"""Routes for logging in and out, the staff directory and the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from yiwen.auth import service
from yiwen.auth.audit import Actor, list_audit
from yiwen.auth.models import StaffSession, StaffUser
from yiwen.auth.permissions import ROLES, permissions_for
from yiwen.auth.schemas import (
    AuditEntryOut,
    AuditPage,
    LoginOut,
    LoginRequest,
    MoneyLimits,
    PasswordChange,
    Role,
    RoleOut,
    StaffCreate,
    StaffOut,
    StaffPage,
    StaffPatch,
)
from yiwen.core.clock import SHANGHAI
from yiwen.core.db import Database
from yiwen.http.deps import (
    SESSION_COOKIE,
    AppClock,
    AppSettings,
    CurrentStaff,
    DbSession,
    bearer_token,
    get_database,
    require_permission,
)

router = APIRouter(prefix="/api/v1", tags=["auth"])

AppDatabase = Annotated[Database, Depends(get_database)]
StaffManager = Annotated[StaffUser, Depends(require_permission("staff.manage"))]
AuditReader = Annotated[StaffUser, Depends(require_permission("audit.read"))]


def current_session(
    request: Request, db: DbSession, clock: AppClock, user: CurrentStaff
) -> StaffSession:
    """The session the request authenticated with (after ``current_staff`` checked CSRF)."""
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE) or ""
    return service.resolve_session(db, clock, token)[1]


CurrentSession = Annotated[StaffSession, Depends(current_session)]


@router.post("/auth/login")
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    database: AppDatabase,
    clock: AppClock,
    settings: AppSettings,
) -> LoginOut:
    user, token, staff_session = service.attempt_login(
        database,
        clock,
        settings,
        username=body.username,
        password=body.password,
        ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_hours * 3600,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return LoginOut(
        token=token,
        csrf_token=staff_session.csrf_token,
        expires_at=staff_session.expires_at,
        user=StaffOut.of(user),
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    response: Response,
    db: DbSession,
    clock: AppClock,
    user: CurrentStaff,
    staff_session: CurrentSession,
) -> None:
    service.logout(db, clock, user, staff_session)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/auth/me")
def me(user: CurrentStaff) -> StaffOut:
    return StaffOut.of(user)


@router.get("/auth/me/limits")
def my_limits(user: CurrentStaff, settings: AppSettings) -> MoneyLimits:
    """The refund and coupon caps the services enforce for the caller's role."""
    return MoneyLimits(
        refund=_limit(settings.refund_limits, user.role),
        coupon=_limit(settings.coupon_limits, user.role),
    )


def _limit(limits: dict[str, Decimal | None], role: str) -> Decimal | None:
    return limits[role] if role in limits else Decimal("0")


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange,
    db: DbSession,
    clock: AppClock,
    user: CurrentStaff,
    staff_session: CurrentSession,
) -> None:
    """The session that changed the password stays; every other one ends."""
    service.change_password(
        db, clock, user, body.old_password, body.new_password, keep_session=staff_session
    )


@router.get("/staff")
def list_staff(
    db: DbSession,
    manager: StaffManager,
    role: Role | None = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StaffPage:
    users, next_cursor = service.list_staff(db, role=role, active=active, after=cursor, limit=limit)
    return StaffPage(items=[StaffOut.of(u) for u in users], next_cursor=next_cursor)


@router.get("/staff/roles")
def list_roles(db: DbSession, settings: AppSettings, manager: StaffManager) -> list[RoleOut]:
    """Every role with its permissions and refund/coupon caps (read-only: roles live in code)."""
    counts = service.count_staff_by_role(db)
    return [
        RoleOut(
            role=role,
            permissions=sorted(permissions_for(role)),
            may_refund=role in settings.refund_limits,
            refund_limit=settings.refund_limits.get(role),
            may_issue_coupon=role in settings.coupon_limits,
            coupon_limit=settings.coupon_limits.get(role),
            staff_count=counts.get(role, 0),
        )
        for role in ROLES
    ]


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def create_staff(
    body: StaffCreate, db: DbSession, clock: AppClock, manager: StaffManager
) -> StaffOut:
    user = service.create_staff(
        db,
        clock,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        role=body.role,
        email=body.email,
        actor=Actor.staff(manager),
    )
    return StaffOut.of(user)


@router.patch("/staff/{user_id}")
def update_staff(
    user_id: Annotated[str, Path(max_length=32)],
    body: StaffPatch,
    db: DbSession,
    clock: AppClock,
    manager: StaffManager,
) -> StaffOut:
    user = service.update_staff(
        db,
        clock,
        user_id,
        actor=Actor.staff(manager),
        **body.model_dump(exclude_unset=True, exclude_none=True),
    )
    return StaffOut.of(user)


@router.get("/audit")
def audit_log(
    db: DbSession,
    reader: AuditReader,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[str | None, Query(max_length=40)] = None,
    target_id: Annotated[str | None, Query(max_length=128)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Newest first. ``action`` ending in ``.*`` matches a family (``order.*``)."""
    entries, next_cursor = list_audit(
        db,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=_aware(since),
        until=_aware(until),
        cursor=cursor,
        limit=limit,
    )
    return AuditPage(
        items=[AuditEntryOut.model_validate(e) for e in entries], next_cursor=next_cursor
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A time given without an offset is Beijing time, as the console shows it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=SHANGHAI)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
