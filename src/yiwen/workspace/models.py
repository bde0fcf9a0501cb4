"""Macros and the record of every order action an agent took."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id


class Macro(Base):
    """A canned reply with variables such as ``{order_no}`` filled from the ticket."""

    __tablename__ = "macros"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderAction(Base):
    """One action on a shop order, keyed by the caller's idempotency key.

    The same key again returns this row instead of acting twice; the key sent
    to the shop is derived from it, so even a retry after a lost commit moves
    money once.
    """

    __tablename__ = "order_actions"
    __table_args__ = (
        Index("ix_order_action_ticket", "ticket_id", "created_at"),
        Index("ix_order_action_order", "order_no", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    action: Mapped[str] = mapped_column(String(30))
    order_no: Mapped[str | None] = mapped_column(String(64))
    shop_user_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None]
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100))
    result: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
