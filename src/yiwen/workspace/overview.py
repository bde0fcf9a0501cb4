"""Customer 360: everything an agent needs without asking the customer again."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.customers.models import Customer
from yiwen.customers.service import contacts_of, shop_user_ids_of
from yiwen.store.protocol import Order, OrderNotFound, StoreConnector
from yiwen.tickets.models import Ticket, TicketOrder
from yiwen.tickets.service import recent_tickets_of_customer
from yiwen.workspace.actions import order_actions

ORDER_WINDOW = timedelta(days=90)
MAX_ORDERS = 30


def order_payload(order: Order) -> dict[str, object]:
    """An order for the console: card keys stay masked (revealing is a separate, audited call)."""
    payload = asdict(order)
    payload["refundable_amount"] = order.refundable_amount
    return payload


def customer_orders(
    db: Session, clock: Clock, store: StoreConnector, customer: Customer
) -> list[Order]:
    """Orders of the last 90 days found by the customer's shop accounts, contacts and tickets."""
    since = clock.now() - ORDER_WINDOW
    seen: dict[str, None] = {}
    for shop_user_id in shop_user_ids_of(customer):
        for summary in store.find_orders(shop_user_id=shop_user_id, since=since, limit=MAX_ORDERS):
            seen.setdefault(summary.order_no)
    for contact in contacts_of(customer):
        for summary in store.find_orders(contact=contact, since=since, limit=MAX_ORDERS):
            seen.setdefault(summary.order_no)
    linked = db.scalars(
        select(TicketOrder.order_no)
        .join(Ticket, Ticket.id == TicketOrder.ticket_id)
        .where(Ticket.customer_id == customer.id)
    )
    for order_no in linked:
        seen.setdefault(order_no)
    orders: list[Order] = []
    for order_no in list(seen)[: MAX_ORDERS * 2]:
        try:
            orders.append(store.get_order(order_no))
        except OrderNotFound:
            continue  # a customer may have typed a wrong number on a ticket
    orders.sort(key=lambda o: o.created_at, reverse=True)
    return [o for o in orders if o.created_at >= since or o.order_no in seen][:MAX_ORDERS]


def customer_overview(
    db: Session, clock: Clock, store: StoreConnector, customer: Customer
) -> dict[str, object]:
    tickets = recent_tickets_of_customer(db, customer.id, limit=20)
    return {
        "customer": {
            "id": customer.id,
            "display_name": customer.display_name,
            "tier": customer.tier,
            "tags": list(customer.tags or []),
            "created_at": customer.created_at,
        },
        "identities": [
            {"channel": i.channel, "external_id": i.external_id, "verified": i.verified}
            for i in customer.identities
        ],
        "orders": [
            {**order_payload(o), "actions": order_actions(store, o)}
            for o in customer_orders(db, clock, store, customer)
        ],
        "tickets": [
            {
                "id": t.id,
                "number": t.number,
                "status": t.status,
                "category": t.category,
                "subject": t.subject,
                "created_at": t.created_at,
                "resolved_at": t.resolved_at,
            }
            for t in tickets
        ],
    }
