"""Channel accounts set up by admins, inbound receipts that deduplicate, sync cursors,
platform media (uploaded and still to download) and queued WeCom session changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id


class ChannelAccount(Base):
    """One account on one channel (a 公众号, a WeCom KF account, a QQ bot, a mailbox…).

    ``config`` holds what may be shown (app id, API base URL, addresses);
    ``sealed_secrets`` holds tokens, keys and passwords encrypted with the
    server secret (see :mod:`yiwen.channels.sealing`) and is never returned.
    """

    __tablename__ = "channel_accounts"
    __table_args__ = (Index("ix_channel_account_channel", "channel", "enabled"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InboundReceipt(Base):
    """A channel message id seen once: platforms redeliver, and a redelivery must store nothing."""

    __tablename__ = "channel_inbound_receipts"
    __table_args__ = (
        UniqueConstraint("account_id", "external_msg_id", name="uq_inbound_account_msg"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    external_msg_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime]


class ChannelCursor(Base):
    """Where a pull-style channel stopped reading (WeCom sync_msg cursor, IMAP UID)."""

    __tablename__ = "channel_cursors"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class MediaUpload(Base):
    """A file already uploaded to a platform as temporary media, reused until it expires.

    WeChat and WeCom keep temporary media three days; sending the same picture
    to a second customer (or retrying a delivery) reuses the ``media_id``
    instead of uploading the bytes again. Keyed by the content's SHA-256.
    """

    __tablename__ = "channel_media_uploads"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    content_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    media_id: Mapped[str] = mapped_column(String(300))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]


class MediaFetch(Base):
    """A customer's file still to download into the stored message (WeCom image/voice/file).

    The message's text is stored first; the download happens after that
    commit and is retried by the channel job until it succeeds, the platform
    refuses it for good, or the platform's copy has expired.
    """

    __tablename__ = "channel_media_fetches"
    __table_args__ = (
        UniqueConstraint("message_id", "media_id", name="uq_media_fetch_message_media"),
        Index("ix_media_fetch_due", "status", "next_try_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(BigInteger)
    media_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    attachment_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class WecomSessionChange(Base):
    """A WeCom session state change to make (kf/service_state/trans), retried until done.

    Queued in the transaction of what caused it (an agent took the ticket, the
    ticket was resolved), applied by the channel job; ``reason`` makes queuing
    idempotent per cause.
    """

    __tablename__ = "wecom_session_changes"
    __table_args__ = (
        UniqueConstraint("account_id", "reason", name="uq_wecom_change_reason"),
        Index("ix_wecom_change_due", "status", "next_try_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    external_userid: Mapped[str] = mapped_column(String(100))
    service_state: Mapped[int] = mapped_column(Integer)
    servicer_userid: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(150))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
