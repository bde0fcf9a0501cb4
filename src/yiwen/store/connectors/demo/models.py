"""The demo shop's own tables: a separate system with its own database and schema.

A real 发卡 shop keeps its data in its own database, out of Yiwen's reach except
through the connector; the demo shop mirrors that. Its tables hang off their own
metadata (never Yiwen's ``Base``), are created by :func:`create_schema` rather than
Yiwen's migrations, and are prefixed ``shop_`` so that pointing the demo shop at
Yiwen's own PostgreSQL database by mistake cannot collide with Yiwen's tables.

Every primary key is a string chosen by the shop, so the generator can bulk-insert
rows that reference each other without database sequences falling behind.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Engine, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from yiwen.core.db import Money, UTCDateTime
from yiwen.store.protocol import (
    CardKeyState,
    DeliveryType,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    PushStatus,
)

ZERO = Decimal("0.00")


class ShopBase(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), Decimal: Money()}


class Supplier(ShopBase):
    """An upstream (上游) that fulfils top-ups and sells card keys; its behaviour is tunable."""

    __tablename__ = "shop_suppliers"

    supplier_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    latency_seconds: Mapped[int]
    failure_rate: Mapped[float]  # a probability, not money
    # Failure injection: the outcome of this supplier's next push ("succeeded",
    # "failed" or "slow"), consumed by that push.
    forced_outcome: Mapped[str | None] = mapped_column(String(16))


class Product(ShopBase):
    __tablename__ = "shop_products"

    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    delivery_type: Mapped[DeliveryType] = mapped_column(String(16))
    price: Mapped[Decimal]
    region: Mapped[str | None] = mapped_column(String(32))
    # How this product's card keys look, e.g. "XXXXX-XXXXX-XXXXX" (X = letter or digit).
    key_pattern: Mapped[str | None] = mapped_column(String(64))
    # None: card keys come from the shop's own stock at payment time.
    supplier_id: Mapped[str | None] = mapped_column(ForeignKey("shop_suppliers.supplier_id"))


class ShopAccount(ShopBase):
    __tablename__ = "shop_accounts"

    shop_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(128), index=True)
    balance: Mapped[Decimal]
    frozen: Mapped[bool] = mapped_column(default=False)
    frozen_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    @property
    def contact(self) -> str | None:
        return self.phone or self.email


class ShopOrder(ShopBase):
    """One order of one product; ``scenario`` is the generator's label for demos and tests."""

    __tablename__ = "shop_orders"
    __table_args__ = (
        Index("ix_shop_orders_contact_created", "contact", "created_at"),
        Index("ix_shop_orders_user_created", "shop_user_id", "created_at"),
        Index("ix_shop_orders_scenario_created", "scenario", "created_at"),
    )

    order_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[OrderStatus] = mapped_column(String(24))
    product_id: Mapped[str] = mapped_column(ForeignKey("shop_products.product_id"))
    supplier_id: Mapped[str | None] = mapped_column(ForeignKey("shop_suppliers.supplier_id"))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    amount: Mapped[Decimal]
    # Refunds of the order itself (not of duplicate charges), pending ones included.
    refunded_amount: Mapped[Decimal]
    contact: Mapped[str | None] = mapped_column(String(128))
    shop_user_id: Mapped[str | None] = mapped_column(ForeignKey("shop_accounts.shop_user_id"))
    region: Mapped[str | None] = mapped_column(String(32))
    target_account: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    paid_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    resend_count: Mapped[int] = mapped_column(default=0)
    scenario: Mapped[str] = mapped_column(String(32))


class ShopPayment(ShopBase):
    __tablename__ = "shop_payments"

    payment_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_no: Mapped[str] = mapped_column(ForeignKey("shop_orders.order_no"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(String(16))
    amount: Mapped[Decimal]
    status: Mapped[PaymentStatus] = mapped_column(String(24))
    trade_no: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    # False: the gateway took the money but its notification never reached the shop.
    callback_received: Mapped[bool]
    # Refunds that reached the payer (pending refunds are not counted here).
    refunded_amount: Mapped[Decimal]
    # A second charge for an order already paid (customer paid twice).
    duplicate: Mapped[bool] = mapped_column(default=False)


class ShopCardKey(ShopBase):
    """A card key (卡密); the clear text lives here because this is the shop's own database."""

    __tablename__ = "shop_card_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_no: Mapped[str | None] = mapped_column(ForeignKey("shop_orders.order_no"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("shop_products.product_id"))
    secret: Mapped[str] = mapped_column(String(128))
    # The key without separators or case, as customers paste it in any form.
    lookup: Mapped[str] = mapped_column(String(128), index=True)
    state: Mapped[CardKeyState] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(32))
    delivered_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]


class UpstreamPushRow(ShopBase):
    """One attempt to have a supplier fulfil an order, with its predetermined outcome."""

    __tablename__ = "shop_upstream_pushes"
    __table_args__ = (Index("ix_shop_pushes_status_complete", "status", "complete_at"),)

    push_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_no: Mapped[str] = mapped_column(ForeignKey("shop_orders.order_no"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("shop_suppliers.supplier_id"))
    attempt: Mapped[int]
    status: Mapped[PushStatus] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    supplier_order_no: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # While processing: when the supplier answers, and what it will answer.
    complete_at: Mapped[datetime | None]
    outcome: Mapped[PushStatus | None] = mapped_column(String(16))
    outcome_error: Mapped[str | None] = mapped_column(Text)


class ShopRefund(ShopBase):
    """Money going back to one payment; one refund number may span several payments."""

    __tablename__ = "shop_refunds"

    refund_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    refund_no: Mapped[str] = mapped_column(String(32), index=True)
    order_no: Mapped[str] = mapped_column(ForeignKey("shop_orders.order_no"), index=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("shop_payments.payment_id"))
    amount: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # processing | succeeded
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class ShopCoupon(ShopBase):
    __tablename__ = "shop_coupons"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_user_id: Mapped[str | None] = mapped_column(ForeignKey("shop_accounts.shop_user_id"))
    contact: Mapped[str | None] = mapped_column(String(128))
    amount: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class IdempotencyRecord(ShopBase):
    """The first result of each action key, so a retried action is never performed twice."""

    __tablename__ = "shop_idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # JSON of the ActionResult
    created_at: Mapped[datetime]


def create_schema(engine: Engine) -> None:
    ShopBase.metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    ShopBase.metadata.drop_all(engine)
