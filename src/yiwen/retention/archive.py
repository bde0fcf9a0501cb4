"""Archiving one conversation: its transcript into ``conversation_archives``, its live rows out.

What goes: the messages, their search-index rows, and the conversation's own
uploads (not those filed as evidence on a ticket, which live on with the
ticket). What stays: the conversation row, as a stub marked ``archived_at``
(ticket links and the customer 360 still show it), its tickets and timeline,
CSAT, bot outcomes and the audit log — everything KPIs read.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from yiwen.attachments.models import Attachment
from yiwen.conversations.models import Conversation, Message
from yiwen.retention.holds import hold_conditions, not_held
from yiwen.retention.models import ArchivedAttachment, ConversationArchive
from yiwen.retention.policy import Policy
from yiwen.search import index

TRANSCRIPT_FORMAT = 1
DONE_STATUSES = ("resolved", "closed")


def cutoff_for(policy: Policy, now: datetime) -> datetime:
    return now - timedelta(days=policy.archive_after_days)


def aged(cutoff: datetime) -> ColumnElement[bool]:
    """Finished, quiet since the cutoff, and not archived yet (before any hold is asked)."""
    return and_(
        Conversation.archived_at.is_(None),
        Conversation.status.in_(DONE_STATUSES),
        Conversation.last_message_at < cutoff,
    )


def eligible(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    return and_(aged(cutoff), not_held(cutoff, now))


@dataclass(frozen=True)
class Candidate:
    conversation_id: str
    last_message_at: datetime


@dataclass(frozen=True)
class PlannedFile:
    attachment_id: str
    conversation_id: str
    sha256: str
    size: int


@dataclass
class ArchiveCounts:
    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    attachment_bytes: int = 0
    conversation_ids: list[str] = field(default_factory=list)
    archived_shas: set[str] = field(default_factory=set)

    def add(self, other: ArchiveCounts) -> None:
        self.conversations += other.conversations
        self.messages += other.messages
        self.attachments += other.attachments
        self.attachment_bytes += other.attachment_bytes
        self.conversation_ids.extend(other.conversation_ids)
        self.archived_shas |= other.archived_shas


def find_candidates(
    db: Session,
    cutoff: datetime,
    now: datetime,
    *,
    after: Candidate | None,
    limit: int,
) -> list[Candidate]:
    """The next ``limit`` eligible conversations, oldest activity first, after the cursor."""
    query = select(Conversation.id, Conversation.last_message_at).where(eligible(cutoff, now))
    if after is not None:
        query = query.where(
            or_(
                Conversation.last_message_at > after.last_message_at,
                and_(
                    Conversation.last_message_at == after.last_message_at,
                    Conversation.id > after.conversation_id,
                ),
            )
        )
    rows = db.execute(
        query.order_by(Conversation.last_message_at, Conversation.id).limit(limit)
    ).all()
    return [Candidate(str(cid), at) for cid, at in rows]


def own_uploads(conversation_ids: Sequence[str]) -> ColumnElement[bool]:
    """The conversation's uploads that move with it: not filed on a ticket as evidence."""
    return and_(Attachment.conversation_id.in_(conversation_ids), Attachment.ticket_id.is_(None))


def plan_files(db: Session, conversation_ids: Sequence[str]) -> list[PlannedFile]:
    rows = db.execute(
        select(Attachment.id, Attachment.conversation_id, Attachment.sha256, Attachment.size)
        .where(own_uploads(conversation_ids))
        .order_by(Attachment.id)
    ).all()
    return [PlannedFile(str(a), str(c), str(s), int(n)) for a, c, s, n in rows]


def archive_conversation(
    db: Session,
    conversation_id: str,
    *,
    policy: Policy,
    now: datetime,
    copied: set[str],
) -> ArchiveCounts | None:
    """Archive one conversation inside the caller's transaction; None when it no longer qualifies.

    The conversation is locked and checked again (a reply or a new ticket since
    the batch was chosen keeps it live), and its uploads must be exactly the
    ones whose bytes were copied to the archive (``copied`` attachment ids).
    """
    cutoff = cutoff_for(policy, now)
    conversation = db.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id, eligible(cutoff, now))
        .with_for_update()
    )
    if conversation is None:
        return None
    uploads = list(
        db.scalars(select(Attachment).where(own_uploads([conversation_id])).order_by(Attachment.id))
    )
    if any(upload.id not in copied for upload in uploads):
        return None
    messages = list(
        db.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
    )
    referenced = {a for m in messages for a in (m.attachment_ids or [])}
    evidence = list(
        db.scalars(
            select(Attachment).where(
                Attachment.id.in_(referenced - {u.id for u in uploads}),
            )
        )
    )
    document = _transcript(conversation, messages, uploads, evidence)
    raw = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    db.add(
        ConversationArchive(
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            channel=conversation.channel,
            message_count=len(messages),
            attachment_count=len(uploads),
            attachment_bytes=sum(u.size for u in uploads),
            first_message_at=messages[0].created_at if messages else None,
            last_message_at=messages[-1].created_at if messages else None,
            transcript=zlib.compress(raw, 9),
            transcript_sha256=hashlib.sha256(raw).hexdigest(),
            archive_after_days=policy.archive_after_days,
            archived_at=now,
            purged_at=None,
        )
    )
    db.flush()
    for upload in uploads:
        db.add(
            ArchivedAttachment(
                id=upload.id,
                conversation_id=conversation.id,
                sha256=upload.sha256,
                content_type=upload.content_type,
                size=upload.size,
                filename=upload.filename,
                customer_id=upload.customer_id,
                uploaded_by_type=upload.uploaded_by_type,
                uploaded_by_id=upload.uploaded_by_id,
                created_at=upload.created_at,
                purged_at=None,
            )
        )
    db.flush()
    index.remove_all(db, kind="message", refs=[str(message.id) for message in messages])
    db.execute(delete(Message).where(Message.conversation_id == conversation.id))
    if uploads:
        db.execute(delete(Attachment).where(Attachment.id.in_([u.id for u in uploads])))
    conversation.archived_at = now
    # The preview is message text: it goes with the messages.
    conversation.last_message_preview = ""
    conversation.unread_for_staff = 0
    db.flush()
    return ArchiveCounts(
        conversations=1,
        messages=len(messages),
        attachments=len(uploads),
        attachment_bytes=sum(u.size for u in uploads),
        conversation_ids=[conversation.id],
        archived_shas={u.sha256 for u in uploads},
    )


def _transcript(
    conversation: Conversation,
    messages: Sequence[Message],
    uploads: Sequence[Attachment],
    evidence: Sequence[Attachment],
) -> dict[str, object]:
    def attachment(a: Attachment, location: str) -> dict[str, object]:
        return {
            "id": a.id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "uploaded_by_type": a.uploaded_by_type,
            "uploaded_by_id": a.uploaded_by_id,
            "created_at": a.created_at.isoformat(),
            # archive: the bytes moved to the archive store; ticket: they stay with a ticket.
            "location": location,
        }

    return {
        "format": TRANSCRIPT_FORMAT,
        "conversation": {
            "id": conversation.id,
            "customer_id": conversation.customer_id,
            "channel": conversation.channel,
            "channel_account_id": conversation.channel_account_id,
            "status": conversation.status,
            "assignee_id": conversation.assignee_id,
            "created_at": conversation.created_at.isoformat(),
            "last_message_at": conversation.last_message_at.isoformat(),
        },
        "messages": [
            {
                "id": m.id,
                "sender_type": m.sender_type,
                "sender_id": m.sender_id,
                "sender_name": m.sender_name,
                "body": m.body,
                "body_sha256": hashlib.sha256(m.body.encode()).hexdigest(),
                "visibility": m.visibility,
                "client_msg_id": m.client_msg_id,
                "attachment_ids": list(m.attachment_ids or []),
                "ticket_id": m.ticket_id,
                "created_at": m.created_at.isoformat(),
            }
            for m in messages
        ],
        "attachments": [attachment(a, "archive") for a in uploads]
        + [attachment(a, "ticket") for a in evidence],
    }


@dataclass
class Preview:
    conversations: int
    messages: int
    attachments: int
    attachment_bytes: int
    held: dict[str, int]
    cutoff: datetime


def preview_archive(db: Session, policy: Policy, now: datetime) -> Preview:
    """What a run would archive now, and how many old conversations each hold keeps."""
    cutoff = cutoff_for(policy, now)
    chosen = select(Conversation.id).where(eligible(cutoff, now))
    conversations = db.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    messages = (
        db.scalar(select(func.count(Message.id)).where(Message.conversation_id.in_(chosen))) or 0
    )
    files = db.execute(
        select(func.count(Attachment.id), func.coalesce(func.sum(Attachment.size), 0)).where(
            Attachment.conversation_id.in_(chosen), Attachment.ticket_id.is_(None)
        )
    ).one()
    held = count_held(db, cutoff, now)
    return Preview(int(conversations), int(messages), int(files[0]), int(files[1]), held, cutoff)


def count_held(db: Session, cutoff: datetime, now: datetime) -> dict[str, int]:
    """Old enough, finished, and kept by each hold rule (one conversation may have several)."""
    return {
        reason: int(
            db.scalar(select(func.count(Conversation.id)).where(aged(cutoff), condition)) or 0
        )
        for reason, condition in hold_conditions(cutoff, now).items()
    }
