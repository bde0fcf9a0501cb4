"""An external complaint: where it was filed, by whom, and the ticket that answers it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id

# 12315 (市场监管总局平台), 黑猫投诉, the app stores, anything else staff find.
PLATFORMS: dict[str, tuple[str, str]] = {
    "12315": ("12315 全国消费者投诉平台", "12315 consumer complaints"),
    "heimao": ("黑猫投诉", "Heimao (Sina) complaints"),
    "app_store": ("应用商店评价", "App store review"),
    "other": ("其他平台", "Other platform"),
}
SOURCES = ("form", "csv", "email")


class ExternalComplaint(Base):
    """One complaint, once per (platform, external reference): registering it again is a no-op."""

    __tablename__ = "external_complaints"
    __table_args__ = (
        UniqueConstraint("platform", "external_ref", name="uq_complaint_platform_ref"),
        Index("ix_complaint_created", "created_at", "id"),
        Index("ix_complaint_ticket", "ticket_id"),
        # The retention pass's hold check (yiwen.retention.holds) looks up by customer.
        Index("ix_complaint_customer", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    platform: Mapped[str] = mapped_column(String(20))
    external_ref: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    complainant_name: Mapped[str | None] = mapped_column(String(100))
    complainant_contact: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    order_no: Mapped[str | None] = mapped_column(String(64))
    # Whether the shop knows that order (the ticket is linked to it only then).
    order_matched: Mapped[bool] = mapped_column(default=False)
    external_deadline: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    registered_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
