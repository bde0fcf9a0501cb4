"""A conversation is one thread with one customer on one channel; messages belong to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

# bot: the bot is answering (issue 3); waiting: handed to humans, nobody took it yet;
# open: an agent is on it; resolved / closed: done.
CONVERSATION_STATUSES = ("bot", "waiting", "open", "resolved", "closed")
SENDER_TYPES = ("customer", "agent", "bot", "system")

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # The inbox pages on (last_message_at, id): the id in each index saves a sort.
        Index("ix_conversation_last", "last_message_at", "id"),
        Index("ix_conversation_status_last", "status", "last_message_at", "id"),
        Index("ix_conversation_assignee_last", "assignee_id", "last_message_at", "id"),
        Index("ix_conversation_customer", "customer_id", "created_at"),
        Index("ix_conversation_channel_account", "channel_account_id", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    # The channel account (a 公众号, a QQ bot…) the conversation came in on and replies go out by.
    channel_account_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    last_message_at: Mapped[datetime]
    last_message_preview: Mapped[str] = mapped_column(String(120), default="")
    unread_for_staff: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Set by retention (yiwen.retention): the messages moved to conversation_archives and
    # this row stays as a stub so tickets and the customer 360 still point at it.
    archived_at: Mapped[datetime | None]


class Message(Base):
    """One message. ``visibility='internal'`` marks notes only staff may read."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "client_msg_id", name="uq_message_client_id"),
        Index("ix_message_conversation_id", "conversation_id", "id"),
        # Only the few messages still waiting for their reactions are in this index.
        Index(
            "ix_message_reactions_pending",
            "id",
            postgresql_where=text("reactions_pending"),
            sqlite_where=text("reactions_pending"),
        ),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    sender_type: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str | None] = mapped_column(String(32))
    sender_name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    # A customer message taken in by the fast path (yiwen.conversations.pipeline) is
    # stored first and answered to the client; its reactions (SLA clocks, routing,
    # search index, notifications, the bot) run right after, in batches, and clear this.
    reactions_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reactions_attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
