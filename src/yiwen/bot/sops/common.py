"""What every order SOP starts with: the order, and the facts about it worth remembering."""

from __future__ import annotations

from yiwen.bot import replies
from yiwen.bot.orders import identify_order
from yiwen.bot.turn import Step, Turn
from yiwen.store.protocol import Order

CAPTURED = ("paid", "partially_refunded", "refunded")


def order_for(turn: Turn, intent: str) -> Order | Step:
    """The order (its facts noted for the case summary), or the step that finds it."""
    found = identify_order(turn, intent)
    if isinstance(found, Order):
        turn.remember("order_no", found.order_no)
        turn.remember("order_status", found.status)
        turn.remember("order_amount", replies.money(found.amount))
        turn.remember("order_paid_at", replies.local_time(found.paid_at))
        method = refund_method(found)
        if method:
            turn.remember("order_payment_method", method)
    return found


def refund_method(order: Order) -> str | None:
    """How the customer paid (the first captured payment), which is where refunds go back."""
    paid = sorted((p for p in order.payments if p.status in CAPTURED), key=lambda p: p.created_at)
    if paid:
        return paid[0].method
    return order.payments[0].method if order.payments else None
