"""The active webhook endpoints, read once per short while instead of once per event.

Every committed change emits events, and each event must be matched against the
webhook endpoints; a SELECT per event cost more than the rest of a bot turn's
notify work. The cache is per engine, dropped by any commit that changed an
endpoint in this process, and at most :data:`TTL_SECONDS` old for changes made
by other processes. A session that changed endpoints itself reads them from
the database until it commits, so it never caches what might roll back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import chain
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.notify.models import WebhookEndpoint

TTL_SECONDS = 2.0
_CHANGED = "yiwen_webhooks_changed"


@dataclass(frozen=True)
class ActiveEndpoint:
    id: str
    events: tuple[str, ...]


_cache: WeakKeyDictionary[Any, tuple[float, tuple[ActiveEndpoint, ...]]] = WeakKeyDictionary()
_lock = Lock()


def active_endpoints(db: Session) -> tuple[ActiveEndpoint, ...]:
    if db.info.get(_CHANGED):
        return _load(db)
    engine = _engine_of(db)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(engine)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]
    found = _load(db)
    # Loading may have flushed this session's own endpoint changes: keep those out.
    if not db.info.get(_CHANGED):
        with _lock:
            _cache[engine] = (now, found)
    return found


def forget_endpoints() -> None:
    with _lock:
        _cache.clear()


def install_listeners() -> None:
    """Track endpoint changes per session (idempotent)."""
    for name, listener in (
        ("after_flush", _note_changes),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)


def _load(db: Session) -> tuple[ActiveEndpoint, ...]:
    rows = db.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active)
    ).all()
    return tuple(ActiveEndpoint(id=row[0], events=tuple(row[1] or ())) for row in rows)


def _engine_of(db: Session) -> Any:
    bind = db.get_bind()
    return getattr(bind, "engine", bind)


def _note_changes(session: Session, _context: object) -> None:
    if any(
        isinstance(item, WebhookEndpoint)
        for item in chain(session.new, session.dirty, session.deleted)
    ):
        session.info[_CHANGED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_endpoints()


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
