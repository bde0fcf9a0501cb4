"""Purging: after the second period an archive's transcript and files are removed for good.

The archive row stays (counts, dates, the checksum of what was removed), as
does every audit entry, so the record shows the conversation existed and when
its content was destroyed. A customer on hold or with an open external
complaint keeps their archives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from yiwen.retention.holds import customer_hold_conditions
from yiwen.retention.models import ArchivedAttachment, ConversationArchive


@dataclass
class PurgeCounts:
    conversations: int = 0
    attachments: int = 0
    attachment_bytes: int = 0
    conversation_ids: list[str] = field(default_factory=list)
    purged_shas: set[str] = field(default_factory=set)

    def add(self, other: PurgeCounts) -> None:
        self.conversations += other.conversations
        self.attachments += other.attachments
        self.attachment_bytes += other.attachment_bytes
        self.conversation_ids.extend(other.conversation_ids)
        self.purged_shas |= other.purged_shas


def purgeable(purge_after_days: int, now: datetime) -> ColumnElement[bool]:
    holds = customer_hold_conditions(ConversationArchive.customer_id, now)
    return and_(
        ConversationArchive.purged_at.is_(None),
        ConversationArchive.archived_at < now - timedelta(days=purge_after_days),
        *(~condition for condition in holds.values()),
    )


def preview_purge(db: Session, purge_after_days: int, now: datetime) -> PurgeCounts:
    chosen = select(ConversationArchive.conversation_id).where(purgeable(purge_after_days, now))
    conversations = db.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    files = db.execute(
        select(
            func.count(ArchivedAttachment.id), func.coalesce(func.sum(ArchivedAttachment.size), 0)
        ).where(
            ArchivedAttachment.conversation_id.in_(chosen), ArchivedAttachment.purged_at.is_(None)
        )
    ).one()
    return PurgeCounts(int(conversations), int(files[0]), int(files[1]))


def purge_batch(db: Session, purge_after_days: int, now: datetime, limit: int) -> PurgeCounts:
    """Empty the next ``limit`` purgeable archives inside the caller's transaction."""
    ids = list(
        db.scalars(
            select(ConversationArchive.conversation_id)
            .where(purgeable(purge_after_days, now))
            .order_by(ConversationArchive.archived_at, ConversationArchive.conversation_id)
            .limit(limit)
            .with_for_update()
        )
    )
    if not ids:
        return PurgeCounts()
    files = db.execute(
        select(ArchivedAttachment.sha256, ArchivedAttachment.size).where(
            ArchivedAttachment.conversation_id.in_(ids), ArchivedAttachment.purged_at.is_(None)
        )
    ).all()
    db.execute(
        update(ConversationArchive)
        .where(ConversationArchive.conversation_id.in_(ids))
        .values(transcript=None, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(ArchivedAttachment)
        .where(ArchivedAttachment.conversation_id.in_(ids))
        .values(purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return PurgeCounts(
        conversations=len(ids),
        attachments=len(files),
        attachment_bytes=sum(int(size) for _, size in files),
        conversation_ids=ids,
        purged_shas={str(sha) for sha, _ in files},
    )


def unreferenced_archive_files(db: Session, shas: set[str]) -> set[str]:
    """Of ``shas``, those no archive still holding its files names (safe to delete)."""
    if not shas:
        return set()
    kept = set(
        db.scalars(
            select(ArchivedAttachment.sha256).where(
                ArchivedAttachment.sha256.in_(shas), ArchivedAttachment.purged_at.is_(None)
            )
        )
    )
    return shas - kept
