"""Routes: staff manage announcements (``announcement.manage``); anyone reads active ones;
customers and agents set the customer's notice preference."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.core.clock import SHANGHAI
from yiwen.customers.service import get_customer
from yiwen.http.deps import (
    AppClock,
    AppSettings,
    CurrentCustomer,
    DbSession,
    Store,
    require_permission,
)
from yiwen.proactive.announcements import notices, service
from yiwen.proactive.announcements.active import active_announcements
from yiwen.proactive.announcements.models import Announcement
from yiwen.proactive.announcements.recipients import is_opted_out, set_opt_out
from yiwen.proactive.announcements.schemas import (
    AnnouncementForm,
    AnnouncementOut,
    AnnouncementPage,
    CloseForm,
    NoticeCountsOut,
    NoticePreference,
    PublicAnnouncement,
    PublicAnnouncements,
)

router = APIRouter(prefix="/api/v1/announcements", tags=["announcements"])
public = APIRouter(prefix="/api/v1/public/announcements", tags=["announcements"])
preferences = APIRouter(tags=["announcements"])
ROUTERS = [router, public, preferences]

Manager = Annotated[StaffUser, Depends(require_permission("announcement.manage"))]
Agent = Annotated[StaffUser, Depends(require_permission("ticket.update"))]
Id = Annotated[str, Path(max_length=32)]
# Banners may lag a publish by this much in browsers and proxies.
PUBLIC_MAX_AGE = 30


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is Beijing time, as the console's date pickers send it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=SHANGHAI)


def announcement_out(db: Session, row: Announcement, now: datetime) -> AnnouncementOut:
    counts = service.notice_counts(db, row.id)
    shown = (
        row.status == "active"
        and row.starts_at <= now
        and (row.ends_at is None or now < row.ends_at)
    )
    return AnnouncementOut(
        id=row.id,
        title=row.title,
        body=row.body,
        scope=row.scope,
        scope_value=row.scope_value,
        keywords=list(row.keywords or []),
        order_nos=list(row.order_nos or []),
        incident_id=row.incident_id,
        status=row.status,
        shown=shown,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        resolution_text=row.resolution_text,
        notices_requested_at=row.notices_requested_at,
        notices_done_at=row.notices_done_at,
        closed_at=row.closed_at,
        close_done_at=row.close_done_at,
        created_at=row.created_at,
        counts=NoticeCountsOut(**counts.__dict__),
    )


@router.get("")
def list_announcements(
    db: DbSession,
    clock: AppClock,
    staff: Manager,
    status_filter: Annotated[str | None, Query(alias="status", max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AnnouncementPage:
    rows, next_cursor = service.list_announcements(
        db, status=status_filter, cursor=cursor, limit=limit
    )
    now = clock.now()
    return AnnouncementPage(
        items=[announcement_out(db, row, now) for row in rows], next_cursor=next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def publish(
    body: AnnouncementForm, db: DbSession, clock: AppClock, staff: Manager
) -> AnnouncementOut:
    new = service.NewAnnouncement(
        title=body.title,
        body=body.body,
        scope=body.scope,
        scope_value=body.scope_value,
        keywords=body.keywords,
        order_nos=body.order_nos,
        incident_id=body.incident_id,
        starts_at=_aware(body.starts_at),
        ends_at=_aware(body.ends_at),
        resolution_text=body.resolution_text,
    )
    row = service.publish_announcement(db, clock, new, actor=Actor.staff(staff))
    return announcement_out(db, row, clock.now())


@router.get("/{announcement_id}")
def read(announcement_id: Id, db: DbSession, clock: AppClock, staff: Manager) -> AnnouncementOut:
    return announcement_out(db, service.get_announcement(db, announcement_id), clock.now())


@router.post("/{announcement_id}/notices")
def send_notices(
    announcement_id: Id, db: DbSession, clock: AppClock, store: Store, staff: Manager
) -> AnnouncementOut:
    """Tell every affected customer, once each; clicking again tells only new ones."""
    row = service.get_announcement(db, announcement_id)
    service.request_notices(db, clock, row, actor=Actor.staff(staff))
    notices.send_notices(db, clock, store, row)
    return announcement_out(db, row, clock.now())


@router.post("/{announcement_id}/close")
def close(
    announcement_id: Id,
    body: CloseForm,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    staff: Manager,
) -> AnnouncementOut:
    """End it: re-push or queue for review each affected order, and tell the customers."""
    row = service.get_announcement(db, announcement_id)
    service.close_announcement(
        db, clock, row, actor=Actor.staff(staff), resolution_text=body.resolution_text
    )
    if row.work_due == "close":
        notices.finish_close(db, clock, store, row, prefix=settings.ticket_number_prefix)
    return announcement_out(db, row, clock.now())


@public.get("")
def shown_now(
    response: Response, db: DbSession, clock: AppClock, settings: AppSettings
) -> PublicAnnouncements:
    """The banner: what is announced right now (no login; cached briefly)."""
    rows = active_announcements(db, clock.now(), ttl_seconds=settings.announcement_cache_seconds)
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return PublicAnnouncements(
        items=[
            PublicAnnouncement(
                id=a.id, title=a.title, body=a.body, starts_at=a.starts_at, ends_at=a.ends_at
            )
            for a in rows
        ]
    )


@preferences.get("/api/v1/customer/notice-preferences")
def my_preference(db: DbSession, who: CurrentCustomer) -> NoticePreference:
    return NoticePreference(proactive_notices=not is_opted_out(db, who.customer_id))


@preferences.put("/api/v1/customer/notice-preferences")
def set_my_preference(
    body: NoticePreference, db: DbSession, clock: AppClock, who: CurrentCustomer
) -> NoticePreference:
    set_opt_out(
        db,
        clock,
        who.customer_id,
        opted_out=not body.proactive_notices,
        source="api",
        actor=Actor.customer(who.customer_id),
    )
    return body


@preferences.put("/api/v1/customers/{customer_id}/notice-preferences")
def set_customer_preference(
    customer_id: Id, body: NoticePreference, db: DbSession, clock: AppClock, staff: Agent
) -> NoticePreference:
    """An agent records the customer's wish (said on the phone, in a mail)."""
    customer = get_customer(db, customer_id)
    set_opt_out(
        db,
        clock,
        customer.id,
        opted_out=not body.proactive_notices,
        source="agent",
        actor=Actor.staff(staff),
    )
    return body
