"""Every mail Yiwen received or sent on a mailbox account, by its Message-ID.

Mail threads by headers: a reply names the Message-IDs it answers
(In-Reply-To, References), so the mapping Message-ID → conversation must be
kept for both directions. The same rows give the original subject for
"Re: …", the customer's last Message-ID to answer, the bounce status of what
was sent, and the per-address reply count that breaks mail loops.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

# in: message (a customer's mail), auto_reply, bounce, complaint; out: reply.
EMAIL_KINDS = ("message", "auto_reply", "bounce", "complaint", "reply")


class EmailRecord(Base):
    __tablename__ = "email_messages"
    __table_args__ = (
        UniqueConstraint("account_id", "message_id", name="uq_email_account_message_id"),
        Index("ix_email_conversation", "conversation_id", "created_at"),
        Index("ix_email_address_direction", "address", "direction", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    # The Message-ID header as written, angle brackets included.
    message_id: Mapped[str] = mapped_column(String(250))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    kind: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    # The customer's address: the sender of what came in, the recipient of what went out.
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500), default="")
    # "" or "bounced" (a delivery status notification named this outbound mail).
    status: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime]
