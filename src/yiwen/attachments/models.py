"""An upload's metadata. The bytes live on disk under their SHA-256; ids are random."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachment_conversation", "conversation_id"),
        Index("ix_attachment_ticket", "ticket_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    uploaded_by_type: Mapped[str] = mapped_column(String(20))  # customer | staff
    uploaded_by_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
