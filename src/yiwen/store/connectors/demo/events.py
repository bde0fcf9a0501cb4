"""The demo shop's recent pushes and payments as StoreEvents (anomaly counts, yiwen.proactive)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.store.connectors.demo.models import (
    Product,
    ShopOrder,
    ShopPayment,
    Supplier,
    UpstreamPushRow,
)
from yiwen.store.connectors.demo.upstream import CANCELLED_ERROR, SUPERSEDED_ERROR
from yiwen.store.protocol import StoreEvent

MAX_EVENTS = 20000


def recent_events(session: Session, since: datetime, limit: int) -> list[StoreEvent]:
    """Pushes and payments started at or after ``since``, oldest first (``limit`` of each kind)."""
    limit = max(1, min(limit, MAX_EVENTS))
    pushes = session.execute(
        select(UpstreamPushRow, ShopOrder, Product, Supplier)
        .join(ShopOrder, ShopOrder.order_no == UpstreamPushRow.order_no)
        .join(Product, Product.product_id == ShopOrder.product_id)
        .join(Supplier, Supplier.supplier_id == UpstreamPushRow.supplier_id)
        .where(UpstreamPushRow.created_at >= since)
        .order_by(UpstreamPushRow.created_at, UpstreamPushRow.push_id)
        .limit(limit)
    ).all()
    events = [
        StoreEvent(
            kind="upstream_push",
            event_id=push.push_id,
            order_no=push.order_no,
            occurred_at=push.created_at,
            status=push.status,
            finished_at=push.updated_at if push.status in ("succeeded", "failed") else None,
            supplier=supplier.supplier_id,
            supplier_name=supplier.name,
            product_id=product.product_id,
            product_name=product.name,
            delivery_type=product.delivery_type,
            contact=order.contact,
            shop_user_id=order.shop_user_id,
            order_status=order.status,
        )
        for push, order, product, supplier in pushes
        if push.error not in (SUPERSEDED_ERROR, CANCELLED_ERROR)
    ]
    payments = session.execute(
        select(ShopPayment, ShopOrder, Product)
        .join(ShopOrder, ShopOrder.order_no == ShopPayment.order_no)
        .join(Product, Product.product_id == ShopOrder.product_id)
        .where(ShopPayment.created_at >= since, ShopPayment.duplicate.is_(False))
        .order_by(ShopPayment.created_at, ShopPayment.payment_id)
        .limit(limit)
    ).all()
    events += [
        StoreEvent(
            kind="payment",
            event_id=payment.payment_id,
            order_no=payment.order_no,
            occurred_at=payment.created_at,
            status=payment.status,
            finished_at=payment.paid_at,
            product_id=product.product_id,
            product_name=product.name,
            delivery_type=product.delivery_type,
            payment_method=payment.method,
            callback_received=payment.callback_received,
            contact=order.contact,
            shop_user_id=order.shop_user_id,
            order_status=order.status,
        )
        for payment, order, product in payments
    ]
    events.sort(key=lambda event: (event.occurred_at, event.event_id))
    return events
