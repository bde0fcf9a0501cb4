"""Retention tables: the policy, the archived transcripts and files, and customers on hold.

- ``retention_policy``: one row (id 1) an administrator edits; absent means disabled.
- ``conversation_archives``: one row per archived conversation with its transcript
  (zlib-compressed JSON) and the SHA-256 of that JSON; after the purge the
  transcript is gone and the row stays, with its counts, as the record that the
  conversation existed and when it was removed.
- ``archived_attachments``: the metadata of each upload moved with a conversation;
  the bytes sit under ``<data_dir>/archive/attachments`` by their SHA-256.
- ``retention_holds``: a legal hold (诉讼/监管保全) on a customer: none of their
  conversations is archived or purged while one is active.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

POLICY_ROW = 1


class RetentionPolicy(Base):
    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    archive_after_days: Mapped[int] = mapped_column(Integer)
    purge_after_days: Mapped[int | None] = mapped_column(Integer)
    batch_size: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class ConversationArchive(Base):
    __tablename__ = "conversation_archives"
    __table_args__ = (
        Index("ix_conversation_archive_archived", "archived_at"),
        Index("ix_conversation_archive_customer", "customer_id", "archived_at"),
    )

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    message_count: Mapped[int] = mapped_column(Integer)
    attachment_count: Mapped[int] = mapped_column(Integer)
    attachment_bytes: Mapped[int] = mapped_column(Integer)
    first_message_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]
    transcript: Mapped[bytes | None] = mapped_column(LargeBinary)
    transcript_sha256: Mapped[str] = mapped_column(String(64))
    # The policy in force when it was archived (days), kept with the record.
    archive_after_days: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[datetime]
    purged_at: Mapped[datetime | None]


class ArchivedAttachment(Base):
    __tablename__ = "archived_attachments"
    __table_args__ = (
        Index("ix_archived_attachment_conversation", "conversation_id"),
        Index("ix_archived_attachment_sha", "sha256"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_archives.conversation_id")
    )
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(String(32))
    uploaded_by_type: Mapped[str] = mapped_column(String(20))
    uploaded_by_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    purged_at: Mapped[datetime | None]


class RetentionHold(Base):
    __tablename__ = "retention_holds"
    __table_args__ = (Index("ix_retention_hold_customer", "customer_id", "released_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[str | None] = mapped_column(String(32))
    placed_at: Mapped[datetime]
    released_by_id: Mapped[str | None] = mapped_column(String(32))
    released_at: Mapped[datetime | None]
