"""The active announcements, read by every bot turn and banner request from a short cache.

A bot turn must stay fast, so it never queries announcements itself: the list
of those not yet closed is read at most once per ``announcement_cache_seconds``
per database, and start/end times are applied against the clock on each read
(a scheduled announcement appears on time without a fresh query). Publishing or
closing in this process drops the cache at once; other processes catch up
within the TTL.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yiwen.proactive.announcements.models import Announcement


@dataclass(frozen=True)
class ActiveAnnouncement:
    id: str
    title: str
    body: str
    scope: str
    scope_value: str | None
    keywords: tuple[str, ...]
    order_nos: frozenset[str]
    starts_at: datetime
    ends_at: datetime | None

    def shown_at(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


_lock = threading.Lock()
_cache: dict[str, tuple[float, tuple[ActiveAnnouncement, ...]]] = {}


def _key(db: Session) -> str:
    return str(db.get_bind().engine.url)


def forget_active(db: Session) -> None:
    with _lock:
        _cache.pop(_key(db), None)


def active_announcements(
    db: Session, now: datetime, *, ttl_seconds: float
) -> tuple[ActiveAnnouncement, ...]:
    """The announcements shown at ``now``, newest first (one query per TTL at most)."""
    key = _key(db)
    with _lock:
        cached = _cache.get(key)
    if cached is None or time.monotonic() - cached[0] > ttl_seconds:
        rows = _load(db, now)
        with _lock:
            _cache[key] = (time.monotonic(), rows)
    else:
        rows = cached[1]
    return tuple(a for a in rows if a.shown_at(now))


def _load(db: Session, now: datetime) -> tuple[ActiveAnnouncement, ...]:
    query = (
        select(Announcement)
        .where(
            Announcement.status == "active",
            or_(Announcement.ends_at.is_(None), Announcement.ends_at > now),
        )
        .order_by(Announcement.starts_at.desc(), Announcement.id.desc())
        .limit(50)
    )
    return tuple(
        ActiveAnnouncement(
            id=row.id,
            title=row.title,
            body=row.body,
            scope=row.scope,
            scope_value=row.scope_value,
            keywords=tuple(row.keywords or ()),
            order_nos=frozenset(row.order_nos or ()),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )
        for row in db.scalars(query)
    )
