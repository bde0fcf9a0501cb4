"""Proofs of identity (one-time codes, order-contact checks), how each identity was verified,
and the merges that joined two customer records (kept so they can be undone)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

# How an identity came to be trusted: the platform vouched for the sender (channel),
# the customer returned a code sent there (code), knew the order's purchase contact
# (order_contact), or brought a token their shop signed (shop_token).
VERIFICATION_SOURCES = ("channel", "code", "order_contact", "shop_token")


class VerificationAttempt(Base):
    """One attempt to prove an identity: a code sent to an email/phone, or an order-contact check.

    Codes are kept only as an HMAC under the server secret; ``attempts`` counts
    wrong codes (five lock the attempt). Order-contact checks are stored too, so
    failed guesses can be counted and limited.
    """

    __tablename__ = "identity_verifications"
    __table_args__ = (
        Index("ix_identity_verification_customer", "customer_id", "created_at"),
        Index("ix_identity_verification_target", "target", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    method: Mapped[str] = mapped_column(String(20))  # code | order_contact
    channel: Mapped[str] = mapped_column(String(20))  # email | phone
    target: Mapped[str] = mapped_column(String(200))
    order_no: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # pending -> confirmed | locked; order-contact checks are confirmed or failed at once.
    status: Mapped[str] = mapped_column(String(12), default="pending")
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class IdentityProof(Base):
    """How one identity was verified for its customer (the console shows it)."""

    __tablename__ = "identity_proofs"

    identity_id: Mapped[str] = mapped_column(
        ForeignKey("customer_identities.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(100))
    # The identity's verified flag before this proof, restored when it is unlinked.
    was_verified: Mapped[bool]
    verified_at: Mapped[datetime]


class CustomerMerge(Base):
    """Two customer records joined because a verified identity showed they are one person.

    ``moved`` lists, per table, the primary keys of the rows moved from the
    absorbed record to the survivor, and ``identity_ids`` the identities, so an
    unlink can move exactly those back. The absorbed record stays as an empty
    shell with its own id, ready to take them back.
    """

    __tablename__ = "customer_merges"
    __table_args__ = (
        Index("ix_customer_merge_survivor", "survivor_id", "created_at"),
        Index("ix_customer_merge_absorbed", "absorbed_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    survivor_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    absorbed_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    source: Mapped[str] = mapped_column(String(20))
    trigger_identity_id: Mapped[str] = mapped_column(String(32))
    identity_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    moved: Mapped[dict[str, list[list[object]]]] = mapped_column(JSON, default=dict)
    # The survivor's fields before the merge (tags, tier, dedicated agent), for the undo.
    survivor_before: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(32))
