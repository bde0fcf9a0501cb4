"""Channel accounts set up by admins, inbound receipts that deduplicate, and sync cursors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
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
