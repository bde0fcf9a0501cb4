"""One row per stuck order the customer was told about: the once-per-order guarantee."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base


class CareContact(Base):
    __tablename__ = "proactive_care_contacts"
    __table_args__ = (Index("ix_care_contact_created", "created_at"),)

    order_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    product_id: Mapped[str | None] = mapped_column(String(64))
    # How many orders the customer placed in the look-back window (frequent buyers first).
    recent_orders: Mapped[int]
    frequent_buyer: Mapped[bool]
    # sent: the customer was messaged; unreachable: no way to reach them; opted_out.
    status: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
