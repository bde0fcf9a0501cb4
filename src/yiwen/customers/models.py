"""A customer and the identities (web visitor, shop user, phone, email, WeChat…) naming them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiwen.core.db import Base
from yiwen.core.ids import new_id

CHANNELS = ("web", "api", "shop", "phone", "email", "wechat", "wecom", "qq", "telegram")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    display_name: Mapped[str | None] = mapped_column(String(100))
    # Room for routing (issue 4): VIP tier and a dedicated agent (专属客服).
    tier: Mapped[str] = mapped_column(String(20), default="normal")
    dedicated_agent_id: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    identities: Mapped[list[Identity]] = relationship(
        back_populates="customer", order_by="Identity.created_at", lazy="selectin"
    )


class Identity(Base):
    """One way a customer is known on one channel; (channel, external_id) names one customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),
        Index("ix_identity_customer", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    customer: Mapped[Customer] = relationship(back_populates="identities")
