"""A retention run: archive what the policy lets go, batch by batch, then purge; or preview it.

Each batch is one transaction, so a crash leaves every conversation either
archived whole or untouched. Upload bytes are copied to the archive before that
transaction and removed from the live store only after it commits; a
conversation whose files cannot be copied (missing, damaged, disk full) stays
live and is reported, and the rest go on. Every batch writes an audit entry in
its own transaction (so the record exists exactly when the archiving does),
and the run ends with a summary entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore
from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import Gone, NotFound
from yiwen.core.settings import Settings
from yiwen.retention import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.retention.archive import (
    ArchiveCounts,
    Candidate,
    PlannedFile,
    archive_conversation,
    count_held,
    cutoff_for,
    find_candidates,
    plan_files,
    preview_archive,
)
from yiwen.retention.files import (
    ArchiveFileError,
    archive_store,
    copy_verified,
    live_store,
    remove_file,
)
from yiwen.retention.models import POLICY_ROW, ArchivedAttachment, ConversationArchive
from yiwen.retention.policy import Policy, get_policy
from yiwen.retention.purge import (
    PurgeCounts,
    preview_purge,
    purge_batch,
    unreferenced_archive_files,
)

log = logging.getLogger("yiwen.retention")


@dataclass
class RetentionReport:
    """What a run did, or with ``dry_run`` what it would do now."""

    dry_run: bool
    ran: bool
    policy: dict[str, object]
    cutoff: datetime
    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    attachment_bytes: int = 0
    held: dict[str, int] = field(default_factory=dict)
    failed: list[dict[str, str]] = field(default_factory=list)
    purged_conversations: int = 0
    purged_attachments: int = 0
    purged_bytes: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def preview_retention(db: Session, policy: Policy, now: datetime) -> RetentionReport:
    """The dry run: counts only, nothing read from or written to disk."""
    archive = preview_archive(db, policy, now)
    report = RetentionReport(
        dry_run=True,
        ran=False,
        policy=policy.as_dict(),
        cutoff=archive.cutoff,
        conversations=archive.conversations,
        messages=archive.messages,
        attachments=archive.attachments,
        attachment_bytes=archive.attachment_bytes,
        held=archive.held,
    )
    if policy.purge_after_days is not None:
        purge = preview_purge(db, policy.purge_after_days, now)
        report.purged_conversations = purge.conversations
        report.purged_attachments = purge.attachments
        report.purged_bytes = purge.attachment_bytes
    return report


def run_retention(
    database: Database,
    clock: Clock,
    settings: Settings,
    *,
    actor: Actor,
    dry_run: bool = False,
) -> RetentionReport:
    """Apply the stored policy (nothing happens while it is disabled, except a dry run)."""
    now = clock.now()
    with database.reading() as db:
        policy = get_policy(db)
        if dry_run:
            return preview_retention(db, policy, now)
        report = RetentionReport(
            dry_run=False,
            ran=policy.enabled,
            policy=policy.as_dict(),
            cutoff=cutoff_for(policy, now),
        )
        if not policy.enabled:
            return report
        report.held = count_held(db, report.cutoff, now)
    archived = _archive_all(database, clock, settings, policy, now, actor, report)
    report.conversations = archived.conversations
    report.messages = archived.messages
    report.attachments = archived.attachments
    report.attachment_bytes = archived.attachment_bytes
    if policy.purge_after_days is not None:
        purged = _purge_all(database, clock, settings, policy, now, actor)
        report.purged_conversations = purged.conversations
        report.purged_attachments = purged.attachments
        report.purged_bytes = purged.attachment_bytes
    with database.transaction() as db:
        record_audit(
            db,
            clock,
            actor=actor,
            action="retention.run",
            target_type="retention_policy",
            target_id=str(POLICY_ROW),
            after=report.as_dict(),
        )
    log.info(
        "retention: archived %d conversations (%d messages, %d files), %d failed, purged %d",
        report.conversations,
        report.messages,
        report.attachments,
        len(report.failed),
        report.purged_conversations,
    )
    return report


def _archive_all(
    database: Database,
    clock: Clock,
    settings: Settings,
    policy: Policy,
    now: datetime,
    actor: Actor,
    report: RetentionReport,
) -> ArchiveCounts:
    live, archive = live_store(settings), archive_store(settings)
    cutoff = cutoff_for(policy, now)
    total = ArchiveCounts()
    after: Candidate | None = None
    while True:
        with database.reading() as db:
            batch = find_candidates(db, cutoff, now, after=after, limit=policy.batch_size)
            planned = plan_files(db, [c.conversation_id for c in batch])
        if not batch:
            return total
        after = batch[-1]
        copied, failures = _copy_to_archive(planned, live, archive)
        with database.transaction() as db:
            counts = ArchiveCounts()
            for candidate in batch:
                if candidate.conversation_id in failures:
                    continue
                one = archive_conversation(
                    db, candidate.conversation_id, policy=policy, now=now, copied=copied
                )
                if one is not None:
                    counts.add(one)
            if counts.conversations or failures:
                record_audit(
                    db,
                    clock,
                    actor=actor,
                    action="retention.archived",
                    target_type="retention_policy",
                    target_id=str(POLICY_ROW),
                    after={
                        "policy": policy.as_dict(),
                        "conversations": counts.conversations,
                        "messages": counts.messages,
                        "attachments": counts.attachments,
                        "attachment_bytes": counts.attachment_bytes,
                        "conversation_ids": counts.conversation_ids,
                        "failed": failures,
                    },
                )
        report.failed.extend(
            {"conversation_id": cid, "reason": reason} for cid, reason in failures.items()
        )
        _drop_live_files(database, live, counts.archived_shas)
        total.add(counts)


def _copy_to_archive(
    planned: list[PlannedFile], live: FileStore, archive: FileStore
) -> tuple[set[str], dict[str, str]]:
    """Copy the batch's uploads; returns the attachment ids copied and the failed conversations."""
    copied: set[str] = set()
    failures: dict[str, str] = {}
    for item in planned:
        if item.conversation_id in failures:
            continue
        try:
            copy_verified(live, archive, item.sha256)
        except ArchiveFileError as exc:
            log.warning("retention: conversation %s stays live: %s", item.conversation_id, exc)
            failures[item.conversation_id] = str(exc)
            continue
        copied.add(item.attachment_id)
    return copied, failures


def _drop_live_files(database: Database, live: FileStore, shas: set[str]) -> None:
    """Remove the live copies no upload row names any more (the same bytes may be shared)."""
    if not shas:
        return
    with database.reading() as db:
        still_used = set(db.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(shas))))
    for sha in shas - still_used:
        remove_file(live, sha)


def _purge_all(
    database: Database,
    clock: Clock,
    settings: Settings,
    policy: Policy,
    now: datetime,
    actor: Actor,
) -> PurgeCounts:
    assert policy.purge_after_days is not None
    archive = archive_store(settings)
    total = PurgeCounts()
    while True:
        with database.transaction() as db:
            counts = purge_batch(db, policy.purge_after_days, now, policy.batch_size)
            if counts.conversations:
                record_audit(
                    db,
                    clock,
                    actor=actor,
                    action="retention.purged",
                    target_type="retention_policy",
                    target_id=str(POLICY_ROW),
                    after={
                        "policy": policy.as_dict(),
                        "conversations": counts.conversations,
                        "attachments": counts.attachments,
                        "attachment_bytes": counts.attachment_bytes,
                        "conversation_ids": counts.conversation_ids,
                    },
                )
        if not counts.conversations:
            return total
        with database.reading() as db:
            removable = unreferenced_archive_files(db, counts.purged_shas)
        for sha in removable:
            remove_file(archive, sha)
        total.add(counts)


@dataclass(frozen=True)
class ArchivedTranscript:
    archive: ConversationArchive
    document: dict[str, object]


def get_archive(db: Session, conversation_id: str) -> ConversationArchive:
    archive = db.get(ConversationArchive, conversation_id)
    if archive is None:
        raise NotFound("archive_not_found")
    if archive.purged_at is not None or archive.transcript is None:
        raise Gone(
            "archive_purged", purged_at=(archive.purged_at or archive.archived_at).isoformat()
        )
    return archive


def read_archive(
    db: Session, clock: Clock, conversation_id: str, *, actor: Actor, ip: str | None = None
) -> ArchivedTranscript:
    """The transcript, checked against its checksum; every read is audited."""
    archive = get_archive(db, conversation_id)
    assert archive.transcript is not None
    raw = zlib.decompress(archive.transcript)
    if hashlib.sha256(raw).hexdigest() != archive.transcript_sha256:
        raise Gone("archive_damaged")
    record_audit(
        db,
        clock,
        actor=actor,
        action="retention.archive_read",
        target_type="conversation",
        target_id=conversation_id,
        after={"messages": archive.message_count, "attachments": archive.attachment_count},
        ip=ip,
    )
    document: dict[str, object] = json.loads(raw)
    return ArchivedTranscript(archive, document)


def get_archived_file(
    db: Session,
    clock: Clock,
    settings: Settings,
    conversation_id: str,
    attachment_id: str,
    *,
    actor: Actor,
    ip: str | None = None,
) -> tuple[ArchivedAttachment, FileStore]:
    """An archived upload and the store holding its bytes (audited like the transcript)."""
    get_archive(db, conversation_id)
    item = db.get(ArchivedAttachment, attachment_id)
    if item is None or item.conversation_id != conversation_id or item.purged_at is not None:
        raise NotFound("attachment_not_found")
    record_audit(
        db,
        clock,
        actor=actor,
        action="retention.archive_file_read",
        target_type="conversation",
        target_id=conversation_id,
        after={"attachment_id": attachment_id, "sha256": item.sha256},
        ip=ip,
    )
    return item, archive_store(settings)
