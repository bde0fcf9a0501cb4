"""The transactional outbox: enqueue with the change, claim when due, settle after sending.

Rows are written by in-transaction reactions (see :mod:`yiwen.notify.rules`), so
a notification exists exactly when the change it announces was committed. A
worker claims due rows in a short transaction of its own (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so several workers share the rows; SQLite has a
single writer), sends them outside any transaction, and settles each in another.
A claim is a lease: a worker that dies after claiming leaves the row ``sending``
until ``next_attempt_at`` passes, and then any worker claims it again. That makes
delivery at least once; the idempotency key travels to the receiver so it can
make it exactly once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.core.errors import Conflict, NotFound
from yiwen.notify.models import DUE_STATUSES, OutboxEntry
from yiwen.notify.protocol import Delivery

MAX_PAGE = 200
ERROR_CHARS = 1000


def enqueue(
    db: Session,
    clock: Clock,
    *,
    key: str,
    kind: str,
    event: str,
    recipient: str,
    payload: dict[str, object],
) -> OutboxEntry | None:
    """Add a row in the caller's transaction; a key already queued adds nothing (returns None).

    The same change announced twice (an event replayed, two reactions naming the
    same key) must notify once.
    """
    if db.scalar(select(OutboxEntry.id).where(OutboxEntry.idempotency_key == key)) is not None:
        return None
    now = clock.now()
    entry = OutboxEntry(
        idempotency_key=key,
        kind=kind,
        event=event,
        recipient=recipient,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.begin_nested():
            db.add(entry)
            db.flush()
    except IntegrityError:
        # A concurrent transaction queued the same key first.
        return None
    return entry


def claim_due(db: Session, clock: Clock, *, limit: int, claim_seconds: float) -> list[Delivery]:
    """Lease up to ``limit`` due rows to the caller until now + ``claim_seconds``.

    Rows another worker holds locked are skipped, not waited for, so two
    workers never claim the same row (PostgreSQL); SQLite's single writer
    serialises claims instead.
    """
    now = clock.now()
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.status.in_(DUE_STATUSES), OutboxEntry.next_attempt_at <= now)
        .order_by(OutboxEntry.next_attempt_at)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[Delivery] = []
    lease_until = now + timedelta(seconds=claim_seconds)
    for entry in db.scalars(query):
        entry.status = "sending"
        entry.attempts += 1
        entry.next_attempt_at = lease_until
        entry.updated_at = now
        claimed.append(
            Delivery(
                id=entry.id,
                idempotency_key=entry.idempotency_key,
                kind=entry.kind,
                event=entry.event,
                recipient=entry.recipient,
                payload=dict(entry.payload),
                attempt=entry.attempts,
            )
        )
    db.flush()
    return claimed


def mark_sent(db: Session, clock: Clock, entry_id: str) -> None:
    entry = db.get(OutboxEntry, entry_id)
    if entry is None or entry.status == "sent":
        return
    now = clock.now()
    entry.status = "sent"
    entry.sent_at = now
    entry.updated_at = now
    entry.last_error = None


def mark_failed(
    db: Session,
    clock: Clock,
    entry_id: str,
    *,
    reason: str,
    retry_in: float | None,
    max_attempts: int,
) -> str:
    """Schedule the next attempt, or dead-letter the row; returns the new status.

    ``retry_in`` None means the error was permanent. A row that has used its
    attempts is dead either way: an admin retries it by hand once the cause is fixed.
    """
    entry = db.get(OutboxEntry, entry_id)
    if entry is None or entry.status == "sent":
        return "sent"
    now = clock.now()
    entry.last_error = reason[:ERROR_CHARS]
    entry.updated_at = now
    if retry_in is None or entry.attempts >= max_attempts:
        entry.status = "dead"
        entry.next_attempt_at = now
    else:
        entry.status = "failed"
        entry.next_attempt_at = now + timedelta(seconds=retry_in)
    return entry.status


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random.

    Workers that failed together (a receiver's outage) spread out when they
    come back instead of hitting it in one burst.
    """
    # The exponent is capped so a row retried by hand for years cannot overflow a float.
    step: float = min(cap, base * 2.0 ** min(max(0, attempts - 1), 60))
    return step / 2 + rng.uniform(0, step / 2)


def retry_entry(db: Session, clock: Clock, entry_id: str, *, actor: Actor) -> OutboxEntry:
    """Give a dead (or failed) row a fresh set of attempts, due now (audited)."""
    entry = db.get(OutboxEntry, entry_id)
    if entry is None:
        raise NotFound("delivery_not_found")
    if entry.status not in ("dead", "failed"):
        raise Conflict("delivery_not_retriable", status=entry.status)
    before = entry.status
    now = clock.now()
    entry.status = "pending"
    entry.attempts = 0
    entry.next_attempt_at = now
    entry.updated_at = now
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="notify.delivery.retry",
        target_type="delivery",
        target_id=entry.id,
        before={"status": before, "last_error": entry.last_error},
        after={"status": "pending"},
    )
    return entry


def list_entries(
    db: Session,
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[OutboxEntry], str | None]:
    """Newest first, one page at a time (by creation; by last change for one status)."""
    limit = max(1, min(limit, MAX_PAGE))
    column = OutboxEntry.updated_at if status is not None else OutboxEntry.created_at
    conditions = [] if status is None else [OutboxEntry.status == status]
    if cursor is not None:
        at, entry_id = decode_cursor(cursor)
        conditions.append(or_(column < at, and_(column == at, OutboxEntry.id < entry_id)))
    query = (
        select(OutboxEntry)
        .where(*conditions)
        .order_by(column.desc(), OutboxEntry.id.desc())
        .limit(limit + 1)
    )
    rows = list(db.scalars(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    moment: datetime = last.updated_at if status is not None else last.created_at
    return rows[:limit], encode_cursor(moment, last.id)
