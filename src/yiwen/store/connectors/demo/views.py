"""What the demo shop shows through the connector: its rows as the protocol's shapes.

Card keys are masked here, the one exit from the shop's tables, so no read can
leak a clear key; only :func:`reveal_secret` returns one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.errors import InvalidInput, NotFound
from yiwen.store.connectors.demo.cardkeys import mask_key, normalise_key
from yiwen.store.connectors.demo.models import (
    Product,
    ShopAccount,
    ShopCardKey,
    ShopOrder,
    ShopPayment,
    Supplier,
    UpstreamPushRow,
)
from yiwen.store.protocol import (
    Account,
    AccountNotFound,
    CardKey,
    CardKeyCheck,
    Delivery,
    DeliveryStatus,
    Order,
    OrderItem,
    OrderNotFound,
    OrderSummary,
    Payment,
    UpstreamPush,
)

MAX_LIMIT = 200


def normalise_contact(contact: str) -> str:
    """Contacts are stored trimmed and lower-case (emails); phones are unaffected."""
    return contact.strip().lower()


def find_order_summaries(
    session: Session,
    *,
    order_no: str | None,
    contact: str | None,
    shop_user_id: str | None,
    since: datetime | None,
    limit: int,
) -> list[OrderSummary]:
    """Orders matching every criterion given, newest first; one criterion at least is needed."""
    if not any(value and value.strip() for value in (order_no, contact, shop_user_id)):
        raise InvalidInput("order_query_empty")
    query = select(ShopOrder, Product.name).join(Product)
    if order_no:
        query = query.where(ShopOrder.order_no == order_no.strip())
    if contact:
        query = query.where(ShopOrder.contact == normalise_contact(contact))
    if shop_user_id:
        query = query.where(ShopOrder.shop_user_id == shop_user_id.strip())
    if since is not None:
        query = query.where(ShopOrder.created_at >= since)
    query = query.order_by(ShopOrder.created_at.desc(), ShopOrder.order_no.desc()).limit(
        max(1, min(limit, MAX_LIMIT))
    )
    return [
        OrderSummary(
            order_no=order.order_no,
            status=order.status,
            amount=order.amount,
            product_name=name,
            created_at=order.created_at,
            contact=order.contact,
            shop_user_id=order.shop_user_id,
        )
        for order, name in session.execute(query)
    ]


OPEN_STATUSES = ("paid", "delivering", "delivery_failed")


def find_open_order_nos(
    session: Session,
    *,
    paid_since: datetime,
    paid_before: datetime | None,
    supplier: str | None,
    product_id: str | None,
    delivery_type: str | None,
    limit: int,
) -> list[str]:
    """Paid, undelivered orders paid in the window, oldest payment first (proactive service)."""
    query = (
        select(ShopOrder.order_no)
        .join(Product, Product.product_id == ShopOrder.product_id)
        .where(ShopOrder.status.in_(OPEN_STATUSES), ShopOrder.paid_at >= paid_since)
    )
    if paid_before is not None:
        query = query.where(ShopOrder.paid_at < paid_before)
    if supplier:
        named = select(Supplier.supplier_id).where(
            (Supplier.supplier_id == supplier) | (Supplier.name == supplier)
        )
        query = query.where(ShopOrder.supplier_id.in_(named))
    if product_id:
        query = query.where(ShopOrder.product_id == product_id)
    if delivery_type:
        query = query.where(Product.delivery_type == delivery_type)
    query = query.order_by(ShopOrder.paid_at, ShopOrder.order_no).limit(
        max(1, min(limit, MAX_LIMIT))
    )
    return list(session.scalars(query))


def load_order(session: Session, order_no: str) -> Order:
    order = session.get(ShopOrder, order_no.strip())
    if order is None:
        raise OrderNotFound(order_no)
    product = session.get_one(Product, order.product_id)
    supplier = session.get(Supplier, order.supplier_id) if order.supplier_id else None
    payments = session.scalars(
        select(ShopPayment)
        .where(ShopPayment.order_no == order.order_no)
        .order_by(ShopPayment.created_at, ShopPayment.payment_id)
    ).all()
    keys = session.scalars(
        select(ShopCardKey)
        .where(ShopCardKey.order_no == order.order_no)
        .order_by(ShopCardKey.delivered_at, ShopCardKey.key_id)
    ).all()
    pushes = session.scalars(
        select(UpstreamPushRow)
        .where(UpstreamPushRow.order_no == order.order_no)
        .order_by(UpstreamPushRow.attempt)
    ).all()
    supplier_names = {supplier.supplier_id: supplier.name} if supplier else {}
    return Order(
        order_no=order.order_no,
        status=order.status,
        amount=order.amount,
        refunded_amount=order.refunded_amount,
        created_at=order.created_at,
        paid_at=order.paid_at,
        contact=order.contact,
        shop_user_id=order.shop_user_id,
        items=(
            OrderItem(
                product_id=product.product_id,
                product_name=product.name,
                quantity=order.quantity,
                unit_price=order.unit_price,
                delivery_type=product.delivery_type,
                region=order.region,
            ),
        ),
        payments=tuple(_payment(p) for p in payments),
        delivery=_delivery(order, product, keys, pushes),
        upstream_pushes=tuple(_push(p, supplier_names) for p in pushes),
        supplier=supplier.name if supplier else None,
    )


def _payment(row: ShopPayment) -> Payment:
    return Payment(
        payment_id=row.payment_id,
        method=row.method,
        amount=row.amount,
        status=row.status,
        trade_no=row.trade_no,
        created_at=row.created_at,
        paid_at=row.paid_at,
        callback_received=row.callback_received,
        refunded_amount=row.refunded_amount,
    )


def _delivery(
    order: ShopOrder,
    product: Product,
    keys: Sequence[ShopCardKey],
    pushes: Sequence[UpstreamPushRow],
) -> Delivery:
    status: DeliveryStatus = "not_started"
    if order.delivered_at is not None:
        status = "delivered"
    elif pushes and pushes[-1].status == "processing":
        status = "processing"
    elif pushes and pushes[-1].status == "failed":
        status = "failed"
    return Delivery(
        delivery_type=product.delivery_type,
        status=status,
        delivered_at=order.delivered_at,
        card_keys=tuple(
            CardKey(
                key_id=key.key_id,
                masked=mask_key(key.secret),
                state=key.state,
                delivered_at=key.delivered_at,
                used_at=key.used_at,
                region=key.region,
            )
            for key in keys
        ),
        target_account=order.target_account,
        resend_count=order.resend_count,
    )


def _push(row: UpstreamPushRow, supplier_names: dict[str, str]) -> UpstreamPush:
    return UpstreamPush(
        push_id=row.push_id,
        supplier=supplier_names.get(row.supplier_id, row.supplier_id),
        status=row.status,
        attempt=row.attempt,
        created_at=row.created_at,
        updated_at=row.updated_at,
        error=row.error,
        supplier_order_no=row.supplier_order_no,
    )


def load_account(session: Session, shop_user_id: str) -> Account:
    account = session.get(ShopAccount, shop_user_id.strip())
    if account is None:
        raise AccountNotFound(shop_user_id)
    return Account(
        shop_user_id=account.shop_user_id,
        frozen=account.frozen,
        balance=account.balance,
        contact=account.contact,
    )


def check_key(session: Session, pasted: str) -> CardKeyCheck:
    """The state of a key as the customer pasted it; a key the shop never sold is "unknown"."""
    lookup = normalise_key(pasted)
    key = (
        session.scalars(select(ShopCardKey).where(ShopCardKey.lookup == lookup).limit(1)).first()
        if lookup
        else None
    )
    if key is None:
        return CardKeyCheck(state="unknown", order_no=None, product_name=None)
    product = session.get_one(Product, key.product_id)
    return CardKeyCheck(
        state=key.state,
        order_no=key.order_no,
        product_name=product.name,
        used_at=key.used_at,
    )


def reveal_secret(session: Session, order_no: str, key_id: str) -> str:
    if session.get(ShopOrder, order_no.strip()) is None:
        raise OrderNotFound(order_no)
    key = session.get(ShopCardKey, key_id)
    if key is None or key.order_no != order_no.strip():
        raise NotFound("card_key_not_found", order_no=order_no)
    return key.secret
