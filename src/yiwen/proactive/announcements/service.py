"""Publishing and closing announcements, and the figures the console shows for each.

Every change is audited and happens in the caller's transaction. Sending
notices and the work done on close live in :mod:`.notices`; this module only
records that the work is due (``work_due``), so the worker finishes it even if
the request that asked for it died half-way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.notify.models import OutboxEntry
from yiwen.proactive.announcements import messages as _messages  # noqa: F401
from yiwen.proactive.announcements.active import forget_active
from yiwen.proactive.announcements.models import (
    SCOPES,
    Announcement,
    AnnouncementNotice,
    AnnouncementOrder,
)

CATEGORIES = ("card_key", "direct_topup")
MAX_ORDERS = 500
MAX_KEYWORDS = 20
MAX_PAGE = 100


@dataclass
class NewAnnouncement:
    title: str
    body: str
    scope: str = "all"
    scope_value: str | None = None
    keywords: list[str] = field(default_factory=list)
    order_nos: list[str] = field(default_factory=list)
    incident_id: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    resolution_text: str = ""


@dataclass(frozen=True)
class NoticeCounts:
    sent: int = 0
    skipped_opt_out: int = 0
    unreachable: int = 0
    failed: int = 0  # queued, but the channel refused it for good (dead outbox rows)
    fixed_sent: int = 0
    repushed: int = 0
    review: int = 0


def check_new(new: NewAnnouncement) -> NewAnnouncement:
    title, body = new.title.strip(), new.body.strip()
    if not title:
        raise InvalidInput("announcement_title_missing")
    if not body:
        raise InvalidInput("announcement_body_missing")
    if new.scope not in SCOPES:
        raise InvalidInput("announcement_scope_unknown", scope=new.scope)
    value = (new.scope_value or "").strip() or None
    if new.scope != "all" and value is None:
        raise InvalidInput("announcement_scope_value_missing")
    if new.scope == "category" and value not in CATEGORIES:
        raise InvalidInput("announcement_category_unknown")
    if new.starts_at and new.ends_at and new.ends_at <= new.starts_at:
        raise InvalidInput("announcement_ends_before_start")
    order_nos = list(dict.fromkeys(o.strip() for o in new.order_nos if o.strip()))
    if len(order_nos) > MAX_ORDERS:
        raise InvalidInput("announcement_too_many_orders", limit=MAX_ORDERS)
    keywords = list(dict.fromkeys(k.strip() for k in new.keywords if k.strip()))[:MAX_KEYWORDS]
    return NewAnnouncement(
        title=title,
        body=body,
        scope=new.scope,
        scope_value=None if new.scope == "all" else value,
        keywords=keywords,
        order_nos=order_nos,
        incident_id=(new.incident_id or "").strip() or None,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        resolution_text=new.resolution_text.strip(),
    )


def publish_announcement(
    db: Session, clock: Clock, new: NewAnnouncement, *, actor: Actor
) -> Announcement:
    checked = check_new(new)
    now = clock.now()
    announcement = Announcement(
        title=checked.title,
        body=checked.body,
        scope=checked.scope,
        scope_value=checked.scope_value,
        keywords=checked.keywords,
        order_nos=checked.order_nos,
        incident_id=checked.incident_id,
        status="active",
        starts_at=checked.starts_at or now,
        ends_at=checked.ends_at,
        resolution_text=checked.resolution_text,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(announcement)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="announcement.publish",
        target_type="announcement",
        target_id=announcement.id,
        after=_audited(announcement),
    )
    forget_active(db)
    return announcement


def get_announcement(db: Session, announcement_id: str) -> Announcement:
    announcement = db.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound("announcement_not_found")
    return announcement


def request_notices(
    db: Session, clock: Clock, announcement: Announcement, *, actor: Actor
) -> Announcement:
    """Mark the notices as due; asking twice is harmless (each customer is told once)."""
    if announcement.status != "active":
        raise Conflict("announcement_closed")
    now = clock.now()
    first = announcement.notices_requested_at is None
    announcement.notices_requested_at = announcement.notices_requested_at or now
    announcement.work_due = "notify"
    announcement.updated_at = now
    if first:
        record_audit(
            db,
            clock,
            actor=actor,
            action="announcement.notify",
            target_type="announcement",
            target_id=announcement.id,
            after={"requested_at": now},
        )
    return announcement


def close_announcement(
    db: Session,
    clock: Clock,
    announcement: Announcement,
    *,
    actor: Actor,
    resolution_text: str = "",
) -> Announcement:
    """End it: the banner goes, and the affected orders are re-pushed and customers told.

    Closing a closed announcement changes nothing (a double click, a retry).
    """
    if announcement.status == "closed":
        return announcement
    now = clock.now()
    announcement.status = "closed"
    announcement.closed_at = now
    if announcement.ends_at is None or announcement.ends_at > now:
        announcement.ends_at = now
    if resolution_text.strip():
        announcement.resolution_text = resolution_text.strip()
    announcement.work_due = "close"
    announcement.updated_at = now
    record_audit(
        db,
        clock,
        actor=actor,
        action="announcement.close",
        target_type="announcement",
        target_id=announcement.id,
        before={"status": "active"},
        after={"status": "closed", "closed_at": now},
    )
    forget_active(db)
    return announcement


def list_announcements(
    db: Session, *, status: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[Announcement], str | None]:
    """Newest first, one page at a time."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Announcement)
    if status is not None:
        query = query.where(Announcement.status == status)
    if cursor is not None:
        at, announcement_id = decode_cursor(cursor)
        query = query.where(
            (Announcement.created_at < at)
            | ((Announcement.created_at == at) & (Announcement.id < announcement_id))
        )
    rows = list(
        db.scalars(
            query.order_by(Announcement.created_at.desc(), Announcement.id.desc()).limit(limit + 1)
        )
    )
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)


def notice_counts(db: Session, announcement_id: str) -> NoticeCounts:
    by_status = dict(
        db.execute(
            select(AnnouncementNotice.status, func.count())
            .where(AnnouncementNotice.announcement_id == announcement_id)
            .group_by(AnnouncementNotice.status)
        ).all()
    )
    fixed = db.scalar(
        select(func.count()).where(
            AnnouncementNotice.announcement_id == announcement_id,
            AnnouncementNotice.resolved_status == "sent",
        )
    )
    actions = dict(
        db.execute(
            select(AnnouncementOrder.action, func.count())
            .where(AnnouncementOrder.announcement_id == announcement_id)
            .group_by(AnnouncementOrder.action)
        ).all()
    )
    dead = db.scalar(
        select(func.count()).where(
            OutboxEntry.idempotency_key.startswith(f"announcement:{announcement_id}:"),
            OutboxEntry.status == "dead",
        )
    )
    return NoticeCounts(
        sent=int(by_status.get("sent", 0)),
        skipped_opt_out=int(by_status.get("skipped_opt_out", 0)),
        unreachable=int(by_status.get("unreachable", 0)),
        failed=int(dead or 0),
        fixed_sent=int(fixed or 0),
        repushed=int(actions.get("repushed", 0)),
        review=int(actions.get("review", 0)),
    )


def _audited(announcement: Announcement) -> dict[str, object]:
    return {
        "title": announcement.title,
        "scope": announcement.scope,
        "scope_value": announcement.scope_value,
        "incident_id": announcement.incident_id,
        "orders": len(announcement.order_nos or []),
        "starts_at": announcement.starts_at,
        "ends_at": announcement.ends_at,
    }
