"""The demo shop's recent activity in three queries (``yiwen.store.activity``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.store.activity import DeliveryRecord, PaymentRecord, PushRecord, ShopActivity
from yiwen.store.connectors.demo.models import (
    Product,
    ShopOrder,
    ShopPayment,
    Supplier,
    UpstreamPushRow,
)


def load_activity(
    session: Session, *, paid_since: datetime, events_since: datetime, limit: int
) -> ShopActivity:
    deliveries = session.execute(
        select(Product.delivery_type, ShopOrder.status, ShopOrder.paid_at, ShopOrder.delivered_at)
        .join(Product, Product.product_id == ShopOrder.product_id)
        .where(ShopOrder.paid_at >= paid_since)
        .order_by(ShopOrder.paid_at.desc())
        .limit(limit)
    )
    pushes = session.execute(
        select(Supplier.name, UpstreamPushRow.status, UpstreamPushRow.created_at,
               UpstreamPushRow.updated_at)
        .join(Supplier, Supplier.supplier_id == UpstreamPushRow.supplier_id)
        .where(UpstreamPushRow.created_at >= events_since)
        .order_by(UpstreamPushRow.created_at.desc())
        .limit(limit)
    )  # fmt: skip
    payments = session.execute(
        select(ShopPayment.method, ShopPayment.status, ShopPayment.callback_received,
               ShopPayment.created_at)
        .where(ShopPayment.created_at >= events_since)
        .order_by(ShopPayment.created_at.desc())
        .limit(limit)
    )  # fmt: skip
    return ShopActivity(
        deliveries=tuple(
            DeliveryRecord(kind, status, paid, delivered)
            for kind, status, paid, delivered in deliveries
            if paid is not None
        ),
        pushes=tuple(PushRecord(*row) for row in pushes),
        payments=tuple(PaymentRecord(*row) for row in payments),
    )
