"""Customers looking up their own orders: by shop login, or by order number plus contact.

An order that does not belong to the caller is "not found", exactly like an
order that does not exist, so order numbers cannot be probed.
"""

from __future__ import annotations

from yiwen.conversations.access import CustomerPrincipal
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.core.i18n import register_messages
from yiwen.customers.service import normalise_contact
from yiwen.store.protocol import Order, OrderNotFound, StoreConnector

register_messages(
    {
        "order_lookup_failed": (
            "未找到匹配的订单，请核对订单号和下单时填写的联系方式",
            "No matching order: check the order number and the contact used at purchase",
        ),
    }
)


def lookup_order(store: StoreConnector, order_no: str, contact: str) -> Order:
    try:
        _, value = normalise_contact(contact)
        order = store.get_order(order_no.strip())
    except (InvalidInput, OrderNotFound):
        raise NotFound("order_lookup_failed") from None
    if order.contact is None or order.contact.lower() != value:
        raise NotFound("order_lookup_failed")
    return order


def orders_of_shop_user(
    store: StoreConnector, who: CustomerPrincipal, limit: int = 20
) -> list[Order]:
    if who.shop_user_id is None:
        return []
    summaries = store.find_orders(shop_user_id=who.shop_user_id, limit=limit)
    return [store.get_order(s.order_no) for s in summaries]


def order_for_customer(order: Order) -> dict[str, object]:
    """What a buyer sees of their order: states and masked keys, no internals of suppliers."""
    last_push = order.upstream_pushes[-1] if order.upstream_pushes else None
    return {
        "order_no": order.order_no,
        "status": order.status,
        "amount": order.amount,
        "refunded_amount": order.refunded_amount,
        "product_name": order.items[0].product_name if order.items else "",
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "payment_methods": [p.method for p in order.payments],
        "delivery_type": order.delivery.delivery_type,
        "delivery_status": order.delivery.status,
        "delivered_at": order.delivery.delivered_at,
        "card_keys": [{"masked": k.masked, "state": k.state} for k in order.delivery.card_keys],
        "supplier_status": last_push.status if last_push else None,
    }
