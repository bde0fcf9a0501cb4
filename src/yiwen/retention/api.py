"""Admin routes for retention: the policy, a preview, legal holds and archived transcripts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import ARCHIVE_READ, RETENTION_MANAGE
from yiwen.http.deps import AppClock, AppSettings, DbSession, get_database, require_permission
from yiwen.retention import holds, service
from yiwen.retention.policy import (
    MAX_ARCHIVE_DAYS,
    MIN_ARCHIVE_DAYS,
    Policy,
    check_policy,
    get_policy,
    update_policy,
)
from yiwen.retention.schemas import (
    ArchivedAttachmentOut,
    ArchivedMessageOut,
    ArchiveSummaryOut,
    HoldIn,
    HoldOut,
    PolicyIn,
    PolicyOut,
    ReportOut,
    TranscriptOut,
)

router = APIRouter(prefix="/api/v1/admin/retention", tags=["retention"])

Manager = Annotated[StaffUser, Depends(require_permission(RETENTION_MANAGE))]
ArchiveReader = Annotated[StaffUser, Depends(require_permission(ARCHIVE_READ))]


def _writing(request: Request) -> Iterator[Session]:
    """Reading an archive is a GET that must still commit its audit entry."""
    with get_database(request).transaction() as session:
        yield session


AuditedRead = Annotated[Session, Depends(_writing, scope="function")]


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _policy_out(policy: Policy) -> PolicyOut:
    return PolicyOut(
        **policy.as_dict(),  # type: ignore[arg-type]
        min_archive_days=MIN_ARCHIVE_DAYS,
        max_archive_days=MAX_ARCHIVE_DAYS,
    )


@router.get("")
def read_policy(db: DbSession, _user: Manager) -> PolicyOut:
    return _policy_out(get_policy(db))


@router.put("")
def change_policy(
    body: PolicyIn, request: Request, db: DbSession, clock: AppClock, user: Manager
) -> PolicyOut:
    """Replace the policy (validated: archive after 30–3650 days, purge after 30–3650 or never)."""
    policy = Policy(
        enabled=body.enabled,
        archive_after_days=body.archive_after_days,
        purge_after_days=body.purge_after_days,
        batch_size=body.batch_size,
    )
    return _policy_out(update_policy(db, clock, policy, actor=Actor.staff(user), ip=_ip(request)))


@router.post("/preview")
def preview(
    db: DbSession, clock: AppClock, _user: Manager, body: PolicyIn | None = None
) -> ReportOut:
    """What a run would archive and purge now, under the stored policy or the one sent."""
    policy = get_policy(db)
    if body is not None:
        policy = Policy(
            body.enabled, body.archive_after_days, body.purge_after_days, body.batch_size
        )
        check_policy(policy)
    return ReportOut.model_validate(service.preview_retention(db, policy, clock.now()).as_dict())


@router.get("/holds")
def list_holds(db: DbSession, _user: Manager) -> list[HoldOut]:
    return [HoldOut.model_validate(h) for h in holds.list_holds(db)]


@router.post("/holds", status_code=status.HTTP_201_CREATED)
def place_hold(body: HoldIn, db: DbSession, clock: AppClock, user: Manager) -> HoldOut:
    """Keep every conversation and archive of a customer (诉讼、监管调查) until released."""
    hold = holds.place_hold(db, clock, body.customer_id, body.reason, actor=Actor.staff(user))
    return HoldOut.model_validate(hold)


@router.delete("/holds/{hold_id}", status_code=status.HTTP_204_NO_CONTENT)
def release_hold(hold_id: str, db: DbSession, clock: AppClock, user: Manager) -> None:
    holds.release_hold(db, clock, hold_id, actor=Actor.staff(user))


@router.get("/archives/{conversation_id}")
def read_archive(
    conversation_id: str, request: Request, db: AuditedRead, clock: AppClock, user: ArchiveReader
) -> TranscriptOut:
    """The archived transcript of one conversation; the read is audited."""
    found = service.read_archive(
        db, clock, conversation_id, actor=Actor.staff(user), ip=_ip(request)
    )
    document = found.document
    messages = document.get("messages")
    attachments = document.get("attachments")
    return TranscriptOut(
        archive=ArchiveSummaryOut.model_validate(found.archive),
        messages=[ArchivedMessageOut.model_validate(m) for m in _items(messages)],
        attachments=[ArchivedAttachmentOut.model_validate(a) for a in _items(attachments)],
    )


@router.get("/archives/{conversation_id}/attachments/{attachment_id}", response_class=FileResponse)
def download_archived_file(
    conversation_id: str,
    attachment_id: str,
    request: Request,
    db: AuditedRead,
    clock: AppClock,
    settings: AppSettings,
    user: ArchiveReader,
) -> FileResponse:
    item, store = service.get_archived_file(
        db,
        clock,
        settings,
        conversation_id,
        attachment_id,
        actor=Actor.staff(user),
        ip=_ip(request),
    )
    inline = item.content_type.startswith("image/")
    return FileResponse(
        store.path_for(item.sha256),
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


def _items(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
