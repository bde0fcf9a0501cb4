"""The bot's memory: one session per conversation, its actions, follow-ups and outcomes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id


class BotSession(Base):
    """What the bot knows about one conversation, so it never asks for a fact twice.

    ``facts`` holds what the customer told or the bot found out (order_no,
    contact, amount, time, payment_method, card_key, ticket_no, verified
    orders); ``pending`` is the one question the bot is waiting on; ``goal`` the
    intent it is working on across messages.
    """

    __tablename__ = "bot_sessions"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    goal: Mapped[str | None] = mapped_column(String(40))
    pending: Mapped[str | None] = mapped_column(String(30))
    facts: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    clarifications: Mapped[int] = mapped_column(Integer, default=0)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BotAction(Base):
    """One shop action the bot took; the unique key makes a replayed turn act once."""

    __tablename__ = "bot_actions"
    __table_args__ = (
        Index("ix_bot_action_conversation", "conversation_id", "created_at"),
        Index("ix_bot_action_order", "order_no", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(30))
    order_no: Mapped[str | None] = mapped_column(String(64))
    shop_user_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class BotFollowup(Base):
    """A check the bot owes the customer (a re-push to confirm), due at ``due_at``.

    Checked at the start of the customer's next message, and by
    :func:`yiwen.bot.followups.run_due_followups`, which a worker may call on a timer.
    """

    __tablename__ = "bot_followups"
    __table_args__ = (Index("ix_bot_followup_due", "done_at", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    order_no: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]


class BotOutcome(Base):
    """How the bot's part of a conversation ended; containment is the share of 'resolved'.

    One row per conversation, updated when a bot-resolved conversation is
    later handed off (the analytics read ``outcome`` and ``created_at``).
    """

    __tablename__ = "bot_outcomes"
    __table_args__ = (
        Index("ix_bot_outcome_created", "created_at"),
        Index("ix_bot_outcome_conversation", "conversation_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    customer_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    intent: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
