"""API shapes of retention."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PolicyIn(BaseModel):
    enabled: bool
    archive_after_days: int = Field(ge=1, le=100_000)
    purge_after_days: int | None = Field(default=None, ge=1, le=100_000)
    batch_size: int = Field(default=200, ge=1, le=100_000)


class PolicyOut(BaseModel):
    enabled: bool
    archive_after_days: int
    purge_after_days: int | None
    batch_size: int
    min_archive_days: int
    max_archive_days: int


class FailedConversation(BaseModel):
    conversation_id: str
    reason: str


class ReportOut(BaseModel):
    dry_run: bool
    ran: bool
    cutoff: datetime
    conversations: int
    messages: int
    attachments: int
    attachment_bytes: int
    held: dict[str, int]
    failed: list[FailedConversation]
    purged_conversations: int
    purged_attachments: int
    purged_bytes: int


class ArchiveSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    conversation_id: str
    customer_id: str
    channel: str
    message_count: int
    attachment_count: int
    attachment_bytes: int
    first_message_at: datetime | None
    last_message_at: datetime | None
    archive_after_days: int
    archived_at: datetime
    purged_at: datetime | None


class ArchivedMessageOut(BaseModel):
    id: int
    sender_type: str
    sender_id: str | None
    sender_name: str | None
    body: str
    visibility: str
    attachment_ids: list[str]
    ticket_id: str | None
    created_at: datetime


class ArchivedAttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    location: str
    created_at: datetime


class TranscriptOut(BaseModel):
    archive: ArchiveSummaryOut
    messages: list[ArchivedMessageOut]
    attachments: list[ArchivedAttachmentOut]


class HoldIn(BaseModel):
    customer_id: str = Field(max_length=32)
    reason: str = Field(max_length=500)


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    reason: str
    placed_by_id: str | None
    placed_at: datetime
